// Guardrails and cache controls assigned in the console: an org's team gets guardrails from
// its page, a key gets its own guardrails and allowed cache controls through the key form,
// and a team developer sees what is on their key without being offered to change it.
import { expect, test, type APIRequestContext, type Page } from "@playwright/test";

import { adminGraphql, expectAccessible, shot, signInWithMasterKey } from "./support";

const STAMP = Date.now();
const PII = `pii-${STAMP}`;
const INJECTION = `injection-${STAMP}`;
const AUDIT = `audit-${STAMP}`;
const TEAM = "Support";
const ALIAS = `guarded-${STAMP}`;

interface Made {
  org: string;
  orgId: string;
  teamId: string;
}

/** The two opt-in policies (set again by each test: the same names, the same policies) and
 * an organization of the test's own with a team. */
async function makeOrgAndPolicies(request: APIRequestContext, org: string): Promise<Made> {
  type Errors = { errors: unknown[] };
  const made = await adminGraphql<{ createOrganization: { organization: { id: string } }; pii: Errors; injection: Errors }>(
    request,
    `mutation ($org: String!, $pii: String!, $injection: String!) {
       createOrganization(name: $org) { organization { id } errors { message } }
       pii: setGuardrailPolicy(input: { name: $pii, guardrail: PRESIDIO,
         piiEntities: [{ entity: "EMAIL_ADDRESS", action: MASK }] }) { errors { message } }
       injection: setGuardrailPolicy(input: { name: $injection, guardrail: LAKERA }) { errors { message } }
     }`,
    { org, pii: PII, injection: INJECTION },
  );
  expect([made.pii.errors, made.injection.errors]).toEqual([[], []]);
  const orgId = made.createOrganization.organization.id;
  const team = await adminGraphql<{ createTeam: { team: { id: string } } }>(
    request,
    `mutation ($orgId: ID!, $name: String!) { createTeam(input: { orgId: $orgId, name: $name }) { team { id } errors { message } } }`,
    { orgId, name: TEAM },
  );
  return { org, orgId, teamId: team.createTeam.team.id };
}

/** A default-on policy runs on every call of the gateway: it exists only while a test needs it. */
async function withDefaultOnPolicy(request: APIRequestContext, body: () => Promise<void>): Promise<void> {
  const added = await adminGraphql<{ setGuardrailPolicy: { errors: unknown[] } }>(
    request,
    `mutation ($name: String!) {
       setGuardrailPolicy(input: { name: $name, guardrail: LAKERA, mode: LOGGING_ONLY, defaultOn: true }) { errors { message } }
     }`,
    { name: AUDIT },
  );
  expect(added.setGuardrailPolicy.errors).toEqual([]);
  try {
    await body();
  } finally {
    await adminGraphql(request, `mutation ($name: String!) { deleteGuardrailPolicy(name: $name) { errors { message } } }`, {
      name: AUDIT,
    });
  }
}

async function keyPolicy(request: APIRequestContext, alias: string) {
  const data = await adminGraphql<{
    keys: { edges: Array<{ node: { guardrails: string[]; allowRequestGuardrails: boolean; allowedCacheControls: string[] } }> };
  }>(
    request,
    `query ($search: String!) { keys(first: 5, search: $search) { edges { node { guardrails allowRequestGuardrails allowedCacheControls } } } }`,
    { search: alias },
  );
  expect(data.keys.edges).toHaveLength(1);
  return data.keys.edges[0]?.node;
}

async function openTeam(page: Page, made: Made): Promise<void> {
  await page.goto(`/ui/orgs/${made.orgId}/teams/${made.teamId}`);
  await expect(page.getByRole("heading", { name: TEAM })).toBeVisible();
}

test("an admin sets a team's guardrails, then gives a key of the team its own and cache controls", async ({ page, request }) => {
  test.setTimeout(120_000);
  const made = await makeOrgAndPolicies(request, `Guarded org ${STAMP}`);
  await withDefaultOnPolicy(request, async () => {
    await signInWithMasterKey(page, "/ui/");
    await expect(page.getByRole("heading", { name: "Dashboard" })).toBeVisible();

    // The team: none yet; the default-on policy is shown as running anyway.
    await openTeam(page, made);
    const card = page.getByRole("region", { name: "Guardrails" });
    await expect(card).toContainText("None: the team's keys run only their own guardrails.");
    await expect(card.getByRole("list", { name: "Default guardrails" })).toContainText(AUDIT);
    await card.getByRole("button", { name: "Edit guardrails" }).click();
    const teamForm = page.getByRole("dialog", { name: `Guardrails of ${TEAM}` });
    const teamPicker = teamForm.getByRole("group", { name: "Guardrails" });
    const always = teamPicker.getByRole("checkbox", { name: new RegExp(AUDIT) });
    await expect(always).toBeChecked();
    await expect(always).toBeDisabled();
    await teamPicker.getByRole("checkbox", { name: new RegExp(INJECTION) }).check();
    await expectAccessible(page);
    await shot(page, "team-guardrails-edit", { fullPage: false });
    await teamForm.getByRole("button", { name: "Save guardrails" }).click();
    await expect(teamForm).toHaveCount(0);
    await expect(card.getByRole("list", { name: "Team guardrails" })).toHaveText(INJECTION);
    await expectAccessible(page);
    await shot(page, "team-guardrails");

    // The organization's teams table shows them too.
    await page.getByRole("navigation", { name: "Breadcrumb" }).getByRole("link", { name: made.org }).click();
    const teams = page.getByRole("table", { name: "Teams" });
    await expect(teams.getByRole("list", { name: `Guardrails of ${TEAM}` })).toHaveText(INJECTION);
    await shot(page, "org-teams-guardrails");

    // A key of the team: its own guardrail, request guardrails, two cache controls.
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "API keys" }).click();
    await page.getByRole("button", { name: "Create key" }).click();
    const form = page.getByRole("dialog", { name: "Create a key" });
    await form.getByLabel("Alias").fill(ALIAS);
    await form.getByLabel("Team").selectOption({ label: `${made.org} / ${TEAM}` });
    const picker = form.getByRole("group", { name: "Guardrails" });
    await expect(picker.getByRole("list", { name: "From the team:" })).toHaveText(INJECTION);
    await expect(picker.getByRole("checkbox", { name: new RegExp(AUDIT) })).toBeDisabled();
    await picker.getByRole("checkbox", { name: new RegExp(PII) }).check();
    await form.getByRole("switch", { name: "Allow request guardrails" }).check();
    const cache = form.getByRole("group", { name: "Allowed cache controls" });
    await cache.getByRole("checkbox", { name: "ttl", exact: true }).check();
    await cache.getByRole("checkbox", { name: "no-cache", exact: true }).check();
    await picker.scrollIntoViewIfNeeded();
    await expectAccessible(page);
    await shot(page, "key-guardrails-create", { fullPage: false });
    await form.getByRole("button", { name: "Create key" }).click();
    const secret = page.getByRole("dialog", { name: "Your new key" });
    await secret.getByRole("button", { name: "Done" }).click();

    const row = page.getByRole("table", { name: "API keys" }).getByRole("row").filter({ hasText: ALIAS });
    await expect(row.getByRole("list", { name: `Guardrails of ${ALIAS}` })).toHaveText(PII);
    await expect(row.getByText("+ request guardrails")).toBeVisible();
    await expect(row.getByText("cache: ttl, no-cache")).toBeVisible();
    await expectAccessible(page);
    await shot(page, "keys-guardrails");
    expect(await keyPolicy(request, ALIAS)).toEqual({
      guardrails: [PII],
      allowRequestGuardrails: true,
      allowedCacheControls: ["ttl", "no-cache"],
    });

    // Edit: the form holds what was saved; a cache control taken off leaves the row.
    await page.getByRole("button", { name: `Actions for ${ALIAS}` }).click();
    await page.getByRole("menuitem", { name: "Edit" }).click();
    const edit = page.getByRole("dialog", { name: `Edit ${ALIAS}` });
    await expect(edit.getByRole("group", { name: "Guardrails" }).getByRole("checkbox", { name: new RegExp(PII) })).toBeChecked();
    await expect(edit.getByRole("switch", { name: "Allow request guardrails" })).toBeChecked();
    const editCache = edit.getByRole("group", { name: "Allowed cache controls" });
    await expect(editCache.getByRole("checkbox", { name: "no-cache", exact: true })).toBeChecked();
    await editCache.getByRole("checkbox", { name: "ttl", exact: true }).uncheck();
    await edit.getByRole("button", { name: "Save changes" }).click();
    await expect(edit).toHaveCount(0);
    await expect(row.getByText("cache: no-cache", { exact: true })).toBeVisible();
    expect((await keyPolicy(request, ALIAS))?.allowedCacheControls).toEqual(["no-cache"]);

    // The guardrails column fits a 768 px window without the page scrolling sideways.
    await page.setViewportSize({ width: 768, height: 900 });
    await page.getByRole("searchbox", { name: "Search" }).fill(ALIAS);
    await page.getByRole("button", { name: "Search", exact: true }).click();
    await expect(row.getByRole("list", { name: `Guardrails of ${ALIAS}` })).toBeVisible();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await shot(page, "keys-guardrails-narrow");
  });
});

test("a team developer sees the guardrails on their key but is not offered to change them", async ({ page, request }) => {
  test.setTimeout(90_000);
  const email = `guarded-dev-${STAMP}@example.com`;
  const password = "a-long-enough-passphrase-42";
  const made = await makeOrgAndPolicies(request, `Developer org ${STAMP}`);
  const user = await adminGraphql<{ createUser: { user: { id: string }; temporaryPassword: string } }>(
    request,
    `mutation ($email: String!) { createUser(email: $email, role: ORG_USER) { user { id } temporaryPassword errors { message } } }`,
    { email },
  );
  const temporary = user.createUser.temporaryPassword;
  const made2 = await adminGraphql<{ createKey: { errors: unknown[] }; setTeamGuardrails: { errors: unknown[] } }>(
    request,
    `mutation ($orgId: ID!, $teamId: ID!, $userId: ID!, $pii: String!, $injection: String!) {
       setOrgMember(orgId: $orgId, userId: $userId, role: ORG_MEMBER) { errors { message } }
       setTeamMember(teamId: $teamId, userId: $userId, role: TEAM_DEVELOPER) { errors { message } }
       setTeamGuardrails(teamId: $teamId, guardrails: [$injection]) { errors { message } }
       createKey(input: { alias: "dev-key-${STAMP}", teamId: $teamId, userId: $userId, guardrails: [$pii],
         allowedCacheControls: ["no-store"] }) { errors { message } }
     }`,
    { orgId: made.orgId, teamId: made.teamId, userId: user.createUser.user.id, pii: PII, injection: INJECTION },
  );
  expect(made2.createKey.errors).toEqual([]);
  expect(made2.setTeamGuardrails.errors).toEqual([]);

  await page.goto("/ui/keys");
  await page.getByRole("textbox", { name: "E-mail" }).fill(email);
  await page.getByRole("textbox", { name: "Password", exact: true }).fill(temporary);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.getByRole("textbox", { name: "Current password" }).fill(temporary);
  await page.getByRole("textbox", { name: "New password", exact: true }).fill(password);
  await page.getByRole("textbox", { name: "Repeat the new password" }).fill(password);
  await page.getByRole("button", { name: "Change password" }).click();
  await expect(page.getByRole("heading", { name: "API keys" })).toBeVisible();

  const row = page.getByRole("table", { name: "API keys" }).getByRole("row").filter({ hasText: `dev-key-${STAMP}` });
  await expect(row.getByRole("list", { name: `Guardrails of dev-key-${STAMP}` })).toHaveText(PII);
  await expect(row.getByText("cache: no-store")).toBeVisible();
  await page.getByRole("button", { name: `Actions for dev-key-${STAMP}` }).click();
  await page.getByRole("menuitem", { name: "Edit" }).click();
  const edit = page.getByRole("dialog", { name: `Edit dev-key-${STAMP}` });
  await expect(edit.getByLabel("Alias")).toBeVisible();
  await expect(edit.getByRole("group", { name: "Guardrails" })).toHaveCount(0);
  await expect(edit.getByRole("group", { name: "Allowed cache controls" })).toHaveCount(0);
  // Saving another field leaves the key's policy as the admin set it.
  await edit.getByLabel("Requests / minute").fill("30");
  await edit.getByRole("button", { name: "Save changes" }).click();
  await expect(edit).toHaveCount(0);
  await expect(row).toContainText("30 rpm");
  expect(await keyPolicy(request, `dev-key-${STAMP}`)).toEqual({
    guardrails: [PII],
    allowRequestGuardrails: false,
    allowedCacheControls: ["no-store"],
  });
  await shot(page, "keys-guardrails-developer");

  // The team's page: the guardrails are shown, with no way to change them.
  await openTeam(page, made);
  const card = page.getByRole("region", { name: "Guardrails" });
  await expect(card.getByRole("list", { name: "Team guardrails" })).toHaveText(INJECTION);
  await expect(card.getByRole("button", { name: "Edit guardrails" })).toHaveCount(0);
  await expectAccessible(page);
});
