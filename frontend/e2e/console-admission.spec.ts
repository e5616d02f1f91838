import { expect, test, type APIRequestContext } from "@playwright/test";

import { adminGraphql, expectAccessible, shot, signInWithMasterKey } from "./support";

test.describe.configure({ mode: "serial" });

async function createKey(request: APIRequestContext, input: Record<string, unknown>): Promise<{ id: string; secret: string }> {
  const data = await adminGraphql<{ createKey: { secret: string; key: { id: string }; errors: unknown[] } }>(
    request,
    `mutation ($input: CreateKeyInput!) { createKey(input: $input) { secret key { id } errors { message } } }`,
    { input },
  );
  expect(data.createKey.errors).toEqual([]);
  return { id: data.createKey.key.id, secret: data.createKey.secret };
}

test("a key's page explains its limits and a dry run names the rule that would refuse", async ({ page, request }) => {
  const alias = `e2e-admission-${Date.now()}`;
  await createKey(request, { alias, models: ["demo"], maxBudget: "5", budgetDuration: "30d", rpmLimit: 60 });
  await signInWithMasterKey(page, "/ui/keys");
  await page.getByRole("searchbox", { name: "Search" }).fill(alias);
  await page.getByRole("button", { name: "Search", exact: true }).click();
  await page.getByRole("button", { name: `Actions for ${alias}` }).click();
  await page.getByRole("menuitem", { name: "Why refused?" }).click();

  const drawer = page.getByRole("dialog", { name: "Why would a call be refused?" });
  const limits = drawer.getByRole("table", { name: "Limits in force" });
  const budget = limits.getByRole("row").filter({ hasText: "Budget" }).first();
  await expect(budget).toContainText("max $5.00");
  await expect(budget.getByRole("meter", { name: "Key budget used" })).toBeVisible();
  await expect(limits.getByRole("row").filter({ hasText: "Requests / minute" })).toContainText("max 60");
  await expect(drawer.getByText("tightest").first()).toBeVisible();

  // The allowed model passes.
  await expect(drawer.getByLabel("Model")).toHaveValue("demo");
  await drawer.getByRole("button", { name: "Check this call" }).click();
  await expect(drawer.getByText("Would be admitted")).toBeVisible();

  // A model the key may not call is refused, and the rule is named.
  await drawer.getByLabel("Model").fill("gpt-4o-not-allowed");
  await drawer.getByRole("button", { name: "Check this call" }).click();
  const refusal = drawer.getByRole("status").filter({ hasText: "Would be refused" });
  await expect(refusal).toBeVisible();
  await expect(refusal).toContainText("Rule");
  await expect(refusal).toContainText("Message");
  await expectAccessible(page);
  await shot(page, "key-admission", { fullPage: false });
});

test("key hygiene lists a never-expiring key and bulk-revokes it with a reason", async ({ page, request }) => {
  const alias = `e2e-hygiene-${Date.now()}`;
  const { id } = await createKey(request, { alias, models: [] });
  await signInWithMasterKey(page, "/ui/keys/hygiene");
  await expect(page.getByRole("heading", { name: "Key hygiene" })).toBeVisible();
  await page.getByRole("button", { name: "No expiry" }).click();
  await expect(page.getByRole("button", { name: "No expiry" })).toHaveAttribute("aria-pressed", "true");
  const table = page.getByRole("table", { name: "Flagged keys" });
  const row = table.getByRole("row").filter({ hasText: alias });
  await expect(row).toContainText("No expiry");
  await expect(row).toContainText("All models");
  await expectAccessible(page);
  await shot(page, "hygiene");

  await row.getByRole("checkbox", { name: `Select ${alias}` }).check();
  await page.getByRole("button", { name: "Revoke", exact: true }).click();
  const dialog = page.getByRole("dialog", { name: "Revoke the selected keys?" });
  await dialog.getByRole("button", { name: "Revoke keys" }).click();
  await expect(dialog.getByLabel("Reason")).toHaveAttribute("aria-invalid", "true");
  await dialog.getByLabel("Reason").fill("e2e: keys must expire");
  await expect(dialog.getByLabel("Reason")).not.toHaveAttribute("aria-invalid");
  await expectAccessible(page);
  await shot(page, "hygiene-revoke", { fullPage: false });
  await dialog.getByRole("button", { name: "Revoke keys" }).click();
  await expect(dialog).toHaveCount(0);
  await expect(page.getByText("1 key revoked.")).toBeVisible();

  // The key is revoked, and the audit log records it with the reason.
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "API keys" }).click();
  await page.getByLabel("Show revoked keys").check();
  await page.getByRole("searchbox", { name: "Search" }).fill(alias);
  await page.getByRole("button", { name: "Search", exact: true }).click();
  await expect(page.getByRole("table", { name: "API keys" }).getByRole("row").filter({ hasText: alias })).toContainText("revoked");
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Audit log" }).click();
  await page.getByLabel("Action").selectOption({ label: "Keys" });
  await expect(
    page.getByRole("table", { name: "Audit entries" }).getByRole("row").filter({ hasText: id }).filter({ hasText: "key.revoke" }),
  ).toBeVisible();
  await shot(page, "hygiene-audit");
  const audit = await adminGraphql<{ auditLog: { edges: Array<{ node: { action: string; reason: string | null } }> } }>(
    request,
    `query ($id: String!) { auditLog(targetId: $id, first: 10) { edges { node { action reason } } } }`,
    { id },
  );
  expect(audit.auditLog.edges.map((e) => e.node)).toContainEqual({ action: "key.revoke", reason: "e2e: keys must expire" });
});

test("the playground streams an answer from the demo model", async ({ page }) => {
  await signInWithMasterKey(page, "/ui/playground");
  await expect(page.getByRole("heading", { name: "Playground" })).toBeVisible();
  await expectAccessible(page);
  await page.getByRole("button", { name: "Start a session" }).click();
  await expect(page.getByText(/A key valid until/)).toBeVisible();
  await page.getByLabel("Model").selectOption("demo");
  await page.getByLabel("Message").fill("hello from the playground");
  await page.getByRole("button", { name: "Send" }).click();
  const log = page.getByRole("log", { name: "Conversation" });
  await expect(log).toContainText("You said: hello from the playground");
  await expect(log.getByLabel("Timings")).toContainText("Time to first token");
  await expectAccessible(page);
  await shot(page, "playground");
  // The key stays in memory: nothing in storage holds a secret.
  const stored = await page.evaluate(() => JSON.stringify({ ...localStorage, ...sessionStorage }));
  expect(stored).not.toMatch(/sk-(?!e2e)/);
});

test("the new pages fit a 768 px window in dark mode", async ({ page, request }) => {
  const alias = `e2e-narrow-${Date.now()}`;
  await createKey(request, { alias, models: ["demo"], maxBudget: "1", budgetDuration: "1d", tpmLimit: 1000, maxParallelRequests: 2 });
  await page.emulateMedia({ colorScheme: "dark" });
  await page.setViewportSize({ width: 768, height: 900 });
  await signInWithMasterKey(page, "/ui/keys/hygiene");
  for (const [path, heading] of [
    ["/ui/keys/hygiene", "Key hygiene"],
    ["/ui/playground", "Playground"],
  ] as const) {
    await page.goto(path);
    await expect(page.getByRole("heading", { name: heading, exact: true })).toBeVisible();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow, `${path} scrolls sideways`).toBeLessThanOrEqual(0);
    await expectAccessible(page);
    await shot(page, `dark-narrow-${heading.toLowerCase().replace(/ /g, "-")}`);
  }
  await page.goto("/ui/keys");
  await page.getByRole("searchbox", { name: "Search" }).fill(alias);
  await page.getByRole("button", { name: "Search", exact: true }).click();
  await page.getByRole("button", { name: `Actions for ${alias}` }).click();
  await page.getByRole("menuitem", { name: "Why refused?" }).click();
  const drawer = page.getByRole("dialog", { name: "Why would a call be refused?" });
  await expect(drawer.getByRole("table", { name: "Limits in force" })).toContainText("Parallel requests");
  // Validation runs before the query.
  await drawer.getByLabel("Estimated input tokens").fill("lots");
  await drawer.getByRole("button", { name: "Check this call" }).click();
  await expect(drawer.getByLabel("Estimated input tokens")).toHaveAttribute("aria-invalid", "true");
  await drawer.getByLabel("Estimated input tokens").fill("10");
  await drawer.getByRole("button", { name: "Check this call" }).click();
  await expect(drawer.getByText("Would be admitted")).toBeVisible();
  await expectAccessible(page);
  await shot(page, "dark-narrow-key-admission", { fullPage: false });
});

test("an organization member chats in the playground with a key minted for their team", async ({ page, request }) => {
  const stamp = Date.now();
  const email = `player-${stamp}@example.com`;
  const password = "a-long-enough-passphrase-42";
  const made = await adminGraphql<{
    createOrganization: { organization: { id: string } };
    createUser: { user: { id: string }; temporaryPassword: string };
  }>(
    request,
    `mutation ($org: String!, $email: String!) {
       createOrganization(name: $org) { organization { id } errors { message } }
       createUser(email: $email, role: ORG_USER) { user { id } temporaryPassword errors { message } }
     }`,
    { org: `Play org ${stamp}`, email },
  );
  const orgId = made.createOrganization.organization.id;
  const userId = made.createUser.user.id;
  const team = await adminGraphql<{ createTeam: { team: { id: string } } }>(
    request,
    `mutation ($orgId: ID!) { createTeam(input: { orgId: $orgId, name: "Researchers" }) { team { id } errors { message } } }`,
    { orgId },
  );
  const teamId = team.createTeam.team.id;
  await adminGraphql(
    request,
    `mutation ($orgId: ID!, $teamId: ID!, $userId: ID!) {
       setOrgMember(orgId: $orgId, userId: $userId, role: ORG_MEMBER) { errors { message } }
       setTeamMember(teamId: $teamId, userId: $userId, role: TEAM_DEVELOPER) { errors { message } }
     }`,
    { orgId, teamId, userId },
  );

  await page.goto("/ui/playground");
  await page.getByRole("textbox", { name: "E-mail" }).fill(email);
  await page.getByRole("textbox", { name: "Password", exact: true }).fill(made.createUser.temporaryPassword);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.getByRole("textbox", { name: "Current password" }).fill(made.createUser.temporaryPassword);
  await page.getByRole("textbox", { name: "New password", exact: true }).fill(password);
  await page.getByRole("textbox", { name: "Repeat the new password" }).fill(password);
  await page.getByRole("button", { name: "Change password" }).click();

  await expect(page.getByRole("heading", { name: "Playground" })).toBeVisible();
  const nav = page.getByRole("navigation", { name: "Main" });
  await expect(nav.getByRole("link", { name: "Key hygiene" })).toBeVisible();
  const teamSelect = page.getByLabel("Team");
  await expect(teamSelect).toHaveValue(teamId);
  await expect(teamSelect.getByRole("option")).toHaveText([`Play org ${stamp} / Researchers`]);
  await page.getByRole("button", { name: "Start a session" }).click();
  await expect(page.getByText(/A key valid until/)).toBeVisible();
  await page.getByLabel("Message").fill("from a team member");
  await page.getByLabel("Message").press("Enter");
  await expect(page.getByRole("log", { name: "Conversation" })).toContainText("You said: from a team member");
  await expectAccessible(page);
  await shot(page, "playground-member");
});
