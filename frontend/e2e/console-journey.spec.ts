import { expect, test, type Page } from "@playwright/test";

import { expectAccessible, shot, signInWithMasterKey } from "./support";

// One platform admin's journey through organizations, teams, users and keys, then the invited
// organization user's view of the same console.

test.describe.configure({ mode: "serial" });

const RUN = Date.now().toString(36);
const ORG = `Journey ${RUN} Incorporated, an organization with a deliberately long name that must truncate`;
const TEAM = `Search ${RUN} platform team`;
const EMAIL = `journey-${RUN}@example.com`;
const END_USER = `customer-${RUN}`;
const NEW_PASSWORD = "a-long-enough-passphrase-42";
let temporaryPassword = "";

function nav(page: Page) {
  return page.getByRole("navigation", { name: "Main" });
}

async function look(page: Page, name: string): Promise<void> {
  await expectAccessible(page);
  await shot(page, name);
}

test("a platform admin builds an organization, a team and a member, and a key for the team", async ({ page, request }) => {
  test.setTimeout(240_000);
  await signInWithMasterKey(page);
  await expect(page.getByRole("heading", { name: "Dashboard" })).toBeVisible();
  for (const name of ["Organizations", "Teams", "Users", "Access control", "End users"]) {
    await expect(nav(page).getByRole("link", { name, exact: true })).toBeVisible();
  }

  // Create the organization; validation runs before anything is sent.
  await nav(page).getByRole("link", { name: "Organizations" }).click();
  await expect(page.getByRole("heading", { name: "Organizations" })).toBeVisible();
  await page.getByRole("button", { name: "Create organization" }).click();
  const createOrg = page.getByRole("dialog", { name: "Create an organization" });
  await createOrg.getByRole("button", { name: "Create organization" }).click();
  await expect(createOrg.getByLabel("Name", { exact: true })).toHaveAccessibleDescription("A name is required.");
  await createOrg.getByLabel("Name", { exact: true }).fill(ORG);
  await createOrg.getByLabel("Budget (USD)", { exact: true }).fill("50");
  await createOrg.getByLabel("Budget period", { exact: true }).fill("30d");
  await createOrg.getByLabel("Requests per minute", { exact: true }).fill("600");
  await expectAccessible(page);
  await shot(page, "org-create", { fullPage: false });
  await createOrg.getByRole("button", { name: "Create organization" }).click();

  // Its page: budget bar, no teams, no members yet.
  await expect(page.getByRole("heading", { name: ORG })).toBeVisible();
  await expect(page.getByRole("meter", { name: `Spend of ${ORG} against its budget` })).toBeVisible();
  await expect(page.getByText("No teams yet")).toBeVisible();

  // A team inside it.
  await page.getByRole("button", { name: "Create team" }).click();
  const createTeam = page.getByRole("dialog", { name: "Create a team" });
  await createTeam.getByLabel("Name", { exact: true }).fill(TEAM);
  await createTeam.getByLabel("Budget (USD)", { exact: true }).fill("20");
  await createTeam.getByLabel("Tokens per minute", { exact: true }).fill("many");
  await createTeam.getByRole("button", { name: "Create team" }).click();
  await expect(createTeam.getByLabel("Tokens per minute", { exact: true })).toHaveAccessibleDescription("A whole number, 0 or more.");
  await createTeam.getByLabel("Tokens per minute", { exact: true }).fill("100000");
  await createTeam.getByRole("button", { name: "Create team" }).click();
  await expect(page.getByRole("heading", { name: TEAM })).toBeVisible();
  const teamUrl = page.url();

  // Invite the user: the temporary password is shown once.
  await nav(page).getByRole("link", { name: "Users", exact: true }).click();
  await page.getByRole("button", { name: "Invite user" }).click();
  const invite = page.getByRole("dialog", { name: "Invite a user" });
  await invite.getByLabel("E-mail", { exact: true }).fill("not-an-address");
  await invite.getByRole("button", { name: "Invite user" }).click();
  await expect(invite.getByLabel("E-mail", { exact: true })).toHaveAccessibleDescription("Not an e-mail address.");
  await invite.getByLabel("E-mail", { exact: true }).fill(EMAIL);
  await invite.getByLabel("Display name", { exact: true }).fill(`Journey ${RUN}`);
  await invite.getByRole("button", { name: "Invite user" }).click();
  const notice = page.getByRole("dialog", { name: "Temporary password" });
  temporaryPassword = await notice.getByRole("textbox", { name: "Temporary password" }).inputValue();
  expect(temporaryPassword.length).toBeGreaterThanOrEqual(12);
  await expect(notice.getByRole("button", { name: "Copy" })).toBeVisible();
  await expectAccessible(page);
  await shot(page, "user-password", { fullPage: false });
  await notice.getByRole("button", { name: "Done" }).click();
  const users = page.getByRole("table", { name: "Users" });
  await expect(users.getByRole("row").filter({ hasText: EMAIL })).toContainText("Password change due");
  await page.getByRole("searchbox", { name: "Search" }).fill(RUN);
  await page.getByRole("button", { name: "Search", exact: true }).click();
  await expect(users.getByRole("row")).toHaveCount(2);
  await look(page, "users");

  // Their own limits: a period without a budget is refused before sending.
  await page.getByRole("button", { name: `Actions for ${EMAIL}` }).click();
  await page.getByRole("menuitem", { name: "Limits" }).click();
  const limits = page.getByRole("dialog", { name: `Limits of Journey ${RUN}` });
  await limits.getByLabel("Budget period", { exact: true }).fill("1d");
  await limits.getByRole("button", { name: "Save limits" }).click();
  await expect(limits.getByLabel("Budget period", { exact: true })).toHaveAccessibleDescription("A budget period needs a budget.");
  await limits.getByLabel("Budget (USD)", { exact: true }).fill("10");
  await expectAccessible(page);
  await shot(page, "user-limits", { fullPage: false });
  await limits.getByRole("button", { name: "Save limits" }).click();
  await expect(limits).toHaveCount(0);

  // A reset gives a new temporary password (the first stops working).
  await page.getByRole("button", { name: `Actions for ${EMAIL}` }).click();
  await page.getByRole("menuitem", { name: "Reset password" }).click();
  const reset = page.getByRole("dialog", { name: "Temporary password" });
  const again = await reset.getByRole("textbox", { name: "Temporary password" }).inputValue();
  expect(again).not.toBe(temporaryPassword);
  temporaryPassword = again;
  await reset.getByRole("button", { name: "Done" }).click();

  // Add them to the organization and to the team.
  await page.goto(teamUrl.replace(/\/teams\/[^/]+$/, ""));
  await expect(page.getByRole("heading", { name: ORG })).toBeVisible();
  const addOrg = page.getByRole("form", { name: "Add a member to the organization" });
  await addOrg.getByRole("searchbox", { name: "Find user" }).fill(EMAIL);
  await addOrg.getByLabel("User", { exact: true }).selectOption({ label: EMAIL });
  await addOrg.getByRole("button", { name: "Add member" }).click();
  const orgMembers = page.getByRole("table", { name: "Members of the organization" });
  await expect(orgMembers.getByRole("row").filter({ hasText: EMAIL })).toBeVisible();
  await expect(orgMembers.getByRole("combobox", { name: `Role of ${EMAIL}` })).toHaveValue("ORG_MEMBER");
  await expect(page.getByRole("table", { name: "Teams" }).getByRole("link", { name: TEAM })).toBeVisible();
  await look(page, "org");

  await page.getByRole("table", { name: "Teams" }).getByRole("link", { name: TEAM }).click();
  await expect(page.getByRole("heading", { name: TEAM })).toBeVisible();
  const addTeam = page.getByRole("form", { name: "Add a member to the team" });
  await addTeam.getByRole("searchbox", { name: "Find user" }).fill(EMAIL);
  await addTeam.getByLabel("User", { exact: true }).selectOption({ label: EMAIL });
  await addTeam.getByRole("button", { name: "Add member" }).click();
  const teamMembers = page.getByRole("table", { name: "Members of the team" });
  await expect(teamMembers.getByRole("combobox", { name: `Role of ${EMAIL}` })).toHaveValue("TEAM_DEVELOPER");
  await look(page, "team");

  // A key for the team, from the team's keys.
  await page.getByRole("link", { name: "View keys" }).click();
  await expect(page.getByRole("heading", { name: "API keys" })).toBeVisible();
  await expect(page.getByLabel("Team", { exact: true })).toHaveValue(new URL(teamUrl).pathname.split("/").pop() ?? "");
  await expect(page.getByText("No key matches")).toBeVisible();
  const alias = `journey-${RUN}`;
  await page.getByRole("button", { name: "Create key" }).click();
  const form = page.getByRole("dialog", { name: "Create a key" });
  await form.getByLabel("Alias", { exact: true }).fill(alias);
  await form.getByLabel("Team", { exact: true }).selectOption({ label: `${ORG} / ${TEAM}` });
  await form.getByRole("button", { name: "Create key" }).click();
  const secretDialog = page.getByRole("dialog", { name: "Your new key" });
  const secret = (await secretDialog.getByRole("textbox", { name: "New key secret" }).inputValue()).trim();
  expect(secret).toMatch(/^sk-/);
  await secretDialog.getByRole("button", { name: "Done" }).click();
  const keys = page.getByRole("table", { name: "API keys" });
  await expect(keys.getByRole("row").filter({ hasText: alias })).toContainText(TEAM);

  // The key works on the OpenAI API, on behalf of one of the caller's own customers.
  const completion = await request.post("/v1/chat/completions", {
    headers: { authorization: `Bearer ${secret}` },
    data: { model: "demo", user: END_USER, messages: [{ role: "user", content: "Hello from the journey" }] },
  });
  expect(completion.status(), await completion.text()).toBe(200);

  // Spend and requests reach the dashboard (written in batches: poll) and the request log.
  await nav(page).getByRole("link", { name: "Dashboard" }).click();
  await expect(async () => {
    await page.reload();
    await expect(page.getByRole("table", { name: "Top keys" })).toContainText(alias, { timeout: 2_000 });
  }).toPass({ timeout: 30_000 });
  await nav(page).getByRole("link", { name: "Usage" }).click();
  await expect(page.getByRole("table", { name: "Request log" }).getByRole("row").filter({ hasText: "demo" }).first()).toBeVisible();
  // Filtered to the new team, the log holds exactly the journey's one call.
  await page.getByRole("combobox", { name: "Team", exact: true }).selectOption({ label: TEAM });
  await expect(page.getByText("1 request · page 1")).toBeVisible();
  await expect(page.getByRole("table", { name: "Request log" }).getByRole("row")).toHaveCount(2); // header + the call
  await look(page, "usage-team-filter");

  // The demo model costs nothing, so the team's bar stays empty; its page still links its keys.
  await page.goto(teamUrl);
  await expect(page.getByRole("meter", { name: `Spend of ${TEAM} against its budget` })).toHaveAttribute("aria-valuenow", "0");

  // Regenerate, then revoke, through the keys page.
  await page.getByRole("link", { name: "View keys" }).click();
  await page.getByRole("button", { name: `Actions for ${alias}` }).click();
  await page.getByRole("menuitem", { name: "Regenerate" }).click();
  await page.getByRole("dialog", { name: "Regenerate the key?" }).getByRole("button", { name: "Regenerate" }).click();
  const renewed = page.getByRole("dialog", { name: "The key's new secret" });
  expect((await renewed.getByRole("textbox", { name: "New key secret" }).inputValue()).trim()).not.toBe(secret);
  await renewed.getByRole("button", { name: "Done" }).click();
  await page.getByRole("button", { name: `Actions for ${alias}` }).click();
  await page.getByRole("menuitem", { name: "Revoke" }).click();
  await page.getByRole("dialog", { name: "Revoke the key?" }).getByRole("button", { name: "Revoke key" }).click();
  await expect(keys.getByRole("row").filter({ hasText: alias })).toHaveCount(0);

  // The audit log lists what was done.
  await nav(page).getByRole("link", { name: "Audit log" }).click();
  const audit = page.getByRole("table", { name: "Audit entries" });
  for (const action of ["organization.create", "team.create", "user.create", "user.set_limits", "user.reset_password", "key.create", "key.regenerate", "key.revoke"]) {
    await expect(audit.getByRole("cell", { name: action, exact: true }).first()).toBeVisible();
  }

  // The end user the call named: its budget is set here, then it is blocked.
  await nav(page).getByRole("link", { name: "End users" }).click();
  await page.getByRole("searchbox", { name: "Search" }).fill(END_USER);
  await page.getByRole("button", { name: "Search", exact: true }).click();
  const endUsers = page.getByRole("table", { name: "End users" });
  await expect(endUsers.getByRole("row").filter({ hasText: END_USER })).toBeVisible();
  await page.getByRole("button", { name: `Budget of ${END_USER}` }).click();
  const budget = page.getByRole("dialog", { name: `Budget of ${END_USER}` });
  await budget.getByLabel("Budget period", { exact: true }).fill("7d");
  await budget.getByRole("button", { name: "Save budget" }).click();
  await expect(budget.getByLabel("Budget period", { exact: true })).toHaveAccessibleDescription("A budget period needs a budget.");
  await budget.getByLabel("Budget (USD)", { exact: true }).fill("3");
  await budget.getByRole("button", { name: "Save budget" }).click();
  await expect(budget).toHaveCount(0);
  await expect(endUsers.getByRole("row").filter({ hasText: END_USER })).toContainText("$3.00");
  await page.getByRole("button", { name: `Block ${END_USER}` }).click();
  await expect(endUsers.getByRole("row").filter({ hasText: END_USER })).toContainText("Blocked");
  await look(page, "end-users");

  // Access control: the user's memberships with their roles.
  await nav(page).getByRole("link", { name: "Access control" }).click();
  await page.getByRole("searchbox", { name: "Search" }).fill(EMAIL);
  await page.getByRole("button", { name: "Search", exact: true }).click();
  const access = page.getByRole("table", { name: "Accounts and their access" });
  const accessRow = access.getByRole("row").filter({ hasText: EMAIL });
  await expect(accessRow.getByRole("link", { name: ORG })).toBeVisible();
  await expect(accessRow.getByRole("link", { name: TEAM })).toBeVisible();
  await expect(accessRow.getByRole("combobox", { name: `Role of ${EMAIL} in team ${TEAM}` })).toHaveValue("TEAM_DEVELOPER");
  await look(page, "access");

  // The teams page lists the organization's teams.
  await nav(page).getByRole("link", { name: "Teams" }).click();
  await page.getByLabel("Organization", { exact: true }).selectOption({ label: ORG });
  await expect(page.getByRole("table", { name: "Teams" }).getByRole("link", { name: TEAM })).toBeVisible();
  await look(page, "teams");
  await nav(page).getByRole("link", { name: "Organizations" }).click();
  await expect(page.getByRole("table", { name: "Organizations" }).getByRole("link", { name: ORG })).toBeVisible();
  await look(page, "orgs");

  // Blocking the organization and then the team shows at once; both are unblocked again.
  await page.getByRole("table", { name: "Organizations" }).getByRole("link", { name: ORG }).click();
  await page.getByRole("button", { name: "Block", exact: true }).click();
  await expect(page.getByText("This organization is blocked: every key in it is refused.")).toBeVisible();
  await page.getByRole("button", { name: "Unblock", exact: true }).click();
  await expect(page.getByText("This organization is blocked: every key in it is refused.")).toHaveCount(0);
  await page.getByRole("table", { name: "Teams" }).getByRole("link", { name: TEAM }).click();
  await page.getByRole("button", { name: "Block", exact: true }).click();
  await expect(page.getByText("This team is blocked: its keys are refused.")).toBeVisible();
  await page.getByRole("button", { name: "Unblock", exact: true }).click();
  await expect(page.getByText("This team is blocked: its keys are refused.")).toHaveCount(0);
  await nav(page).getByRole("link", { name: "Organizations" }).click();

  // At 768 px, in the dark theme, long names truncate instead of breaking the layout.
  await page.setViewportSize({ width: 768, height: 1000 });
  await page.getByRole("button", { name: "Use dark theme" }).click();
  await page.getByRole("table", { name: "Organizations" }).getByRole("link", { name: ORG }).click();
  await expect(page.getByRole("heading", { name: ORG })).toBeVisible();
  await look(page, "org-768-dark");
  await nav(page).getByRole("link", { name: "Access control" }).click();
  await expect(page.getByRole("table", { name: "Accounts and their access" })).toBeVisible();
  await look(page, "access-768-dark");
  await page.getByRole("button", { name: "Use light theme" }).click();
});

test("the invited organization user sees only their organization and is kept out of admin pages", async ({ page }) => {
  test.setTimeout(120_000);
  expect(temporaryPassword).not.toBe("");
  await page.goto("/ui/");
  await page.getByRole("textbox", { name: "E-mail" }).fill(EMAIL);
  await page.getByRole("textbox", { name: "Password", exact: true }).fill(temporaryPassword);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page.getByRole("heading", { name: "Choose a new password" })).toBeVisible();
  await page.getByRole("textbox", { name: "Current password" }).fill(temporaryPassword);
  await page.getByRole("textbox", { name: "New password", exact: true }).fill(NEW_PASSWORD);
  await page.getByRole("textbox", { name: "Repeat the new password" }).fill(NEW_PASSWORD);
  await page.getByRole("button", { name: "Change password" }).click();
  await expect(page.getByRole("heading", { name: "Dashboard" })).toBeVisible();

  for (const name of ["Users", "Access control", "End users", "Audit log"]) {
    await expect(nav(page).getByRole("link", { name, exact: true })).toHaveCount(0);
  }
  await nav(page).getByRole("link", { name: "Organizations" }).click();
  const orgs = page.getByRole("table", { name: "Organizations" });
  await expect(orgs.getByRole("row")).toHaveCount(2);
  await expect(orgs.getByRole("link", { name: ORG })).toBeVisible();
  await expect(page.getByRole("button", { name: "Create organization" })).toHaveCount(0);
  await look(page, "member-orgs");

  await orgs.getByRole("link", { name: ORG }).click();
  await expect(page.getByRole("heading", { name: ORG })).toBeVisible();
  // A plain member reads the organization but manages nothing in it.
  await expect(page.getByRole("button", { name: "Edit" })).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Block" })).toHaveCount(0);
  await expect(page.getByRole("form", { name: "Add a member to the organization" })).toHaveCount(0);
  await expect(page.getByRole("table", { name: "Members of the organization" })).toContainText("Member");
  await look(page, "member-org");

  await page.getByRole("table", { name: "Teams" }).getByRole("link", { name: TEAM }).click();
  await expect(page.getByRole("heading", { name: TEAM })).toBeVisible();
  await expect(page.getByRole("table", { name: "Members of the team" })).toContainText("Developer");
  await expect(page.getByRole("button", { name: "Create team" })).toHaveCount(0);
  await look(page, "member-team");

  await nav(page).getByRole("link", { name: "Teams" }).click();
  await expect(page.getByRole("table", { name: "Teams" }).getByRole("link", { name: TEAM })).toBeVisible();
  await look(page, "member-teams");

  // ORG_MEMBER is not among auditLog's roles (owner, admin, auditor); users needs a platform role.
  for (const path of ["/ui/users", "/ui/audit", "/ui/access", "/ui/end-users"]) {
    await page.goto(path);
    await expect(page.getByRole("heading", { name: "Not allowed" })).toBeVisible();
  }
  await look(page, "member-not-allowed");
});
