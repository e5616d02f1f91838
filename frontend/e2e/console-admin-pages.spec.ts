// The gateway's own pages: deployments, guardrails and settings for platform admins (read
// only for co-admins, not allowed for organization users), the request log's live tail and
// the audit log's filters.
import { expect, test, type Page } from "@playwright/test";

import { adminGraphql, createUser, expectAccessible, MASTER_KEY, shot, signInWithMasterKey } from "./support";

test.describe.configure({ mode: "serial" });

const STAMP = Date.now();
const MODEL = `e2e-model-${STAMP}-with-a-long-name-that-must-not-break-the-layout`;
const POLICY = `e2e-lakera-${STAMP}`;
const NEW_PASSWORD = "a-long-enough-passphrase-42";

async function firstSignIn(page: Page, email: string, temporary: string, path: string): Promise<void> {
  await page.goto(path);
  await page.getByRole("textbox", { name: "E-mail" }).fill(email);
  await page.getByRole("textbox", { name: "Password", exact: true }).fill(temporary);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.getByRole("textbox", { name: "Current password" }).fill(temporary);
  await page.getByRole("textbox", { name: "New password", exact: true }).fill(NEW_PASSWORD);
  await page.getByRole("textbox", { name: "Repeat the new password" }).fill(NEW_PASSWORD);
  await page.getByRole("button", { name: "Change password" }).click();
}

test("a platform admin adds, tests, edits and deletes a deployment", async ({ page }) => {
  test.setTimeout(120_000);
  await signInWithMasterKey(page, "/ui/models");
  await expect(page.getByRole("heading", { name: "Models" })).toBeVisible();
  await expect(page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Settings" })).toBeVisible();

  await page.getByRole("button", { name: "Add deployment" }).click();
  const form = page.getByRole("dialog", { name: "Add a deployment" });
  await form.getByLabel("Model name").fill(MODEL);
  await form.getByLabel("Provider", { exact: true }).selectOption("demo");
  // Checked before anything is sent.
  await form.getByRole("button", { name: "Add deployment" }).click();
  await expect(form.getByLabel("Provider model")).toHaveAccessibleDescription("Name the provider's model, like gpt-4o.");
  await form.getByLabel("Provider model").fill("echo");
  await form.getByLabel("Requests / minute").fill("lots");
  await form.getByRole("button", { name: "Add deployment" }).click();
  await expect(form.getByLabel("Requests / minute")).toHaveAccessibleDescription("A whole number, 0 or more.");
  await form.getByLabel("Requests / minute").fill("30");
  // The upstream URL policy refuses loopback: the API's typed error lands on the field.
  const apiBase = form.getByLabel("API base");
  await apiBase.fill("http://127.0.0.1:9/v1");
  await form.getByLabel("API key").fill("sk-e2e-upstream-secret");
  await form.getByRole("button", { name: "Add deployment" }).click();
  await expect(apiBase).toHaveAttribute("aria-invalid", "true");
  await expect(apiBase).toHaveAccessibleDescription(/loopback or private address/);
  await expectAccessible(page);
  await shot(page, "models-add-refused", { fullPage: false });
  await apiBase.fill("");
  await form.getByRole("button", { name: "Add deployment" }).click();
  await expect(form).toHaveCount(0);

  const group = page.getByRole("region", { name: `Model ${MODEL}` });
  await expect(group).toContainText("demo/echo");
  await expect(group).toContainText("API key stored");
  await expect(group).toContainText("rpm 30");
  await expect(page.getByText("sk-e2e-upstream-secret")).toHaveCount(0);
  // config.yaml's deployments are served too, with the router's view of their health.
  const served = page.getByRole("table", { name: "Deployments the router serves" });
  await expect(served.getByRole("row").filter({ hasText: "demo/echo" }).first()).toBeVisible();
  // config.yaml's deployments can be tested too.
  await served.getByRole("button", { name: "Test served demo/echo of demo", exact: true }).click();
  const servedTest = page.getByRole("dialog", { name: "Test of demo" });
  await expect(servedTest.getByText("The deployment answered.")).toBeVisible();
  await servedTest.getByRole("button", { name: "Close" }).click();
  await expectAccessible(page);
  await shot(page, "models");

  // Test: one request through exactly this deployment.
  const testDialog = page.getByRole("dialog", { name: `Test of ${MODEL}` });
  await expect(async () => {
    await page.keyboard.press("Escape");
    await group.getByRole("button", { name: `Test demo/echo of ${MODEL}` }).click();
    await expect(testDialog.getByText("The deployment answered.")).toBeVisible({ timeout: 5_000 });
  }).toPass({ timeout: 30_000 });
  await expect(testDialog).toContainText(/Latency\s*[\d.,]+ ms/);
  await expect(testDialog).toContainText("You said:");
  await expectAccessible(page);
  await shot(page, "models-test", { fullPage: false });
  await testDialog.getByRole("button", { name: "Close" }).click();

  // Edit: the stored key is never shown back.
  await group.getByRole("button", { name: `Edit demo/echo of ${MODEL}` }).click();
  const edit = page.getByRole("dialog", { name: "Edit deployment" });
  await expect(edit.getByLabel("Model name")).toHaveValue(MODEL);
  await expect(edit.getByLabel("API key")).toHaveValue("");
  await expect(edit.getByLabel("API key")).toHaveAccessibleDescription(/A key is stored and never shown/);
  await edit.getByLabel("Tokens / minute").fill("5000");
  await edit.getByRole("button", { name: "Save changes" }).click();
  await expect(edit).toHaveCount(0);
  await expect(group).toContainText("tpm 5000");
  await expect(group).toContainText("rpm 30");

  // Delete, after confirming.
  await group.getByRole("button", { name: `Delete demo/echo of ${MODEL}` }).click();
  const confirm = page.getByRole("dialog", { name: "Delete the deployment?" });
  await expect(confirm).toContainText(MODEL);
  await expectAccessible(page);
  await confirm.getByRole("button", { name: "Delete deployment" }).click();
  await expect(group).toHaveCount(0);
});

test("a platform admin adds and deletes a guardrail policy", async ({ page }) => {
  await signInWithMasterKey(page, "/ui/guardrails");
  await expect(page.getByRole("heading", { name: "Guardrails" })).toBeVisible();
  await page.getByRole("button", { name: "Add policy" }).click();
  const form = page.getByRole("dialog", { name: "Add a guardrail policy" });
  await form.getByLabel("Name").fill(POLICY);
  await form.getByLabel("Type").selectOption("LAKERA");
  await form.getByLabel("Threshold").fill("1.5");
  await form.getByRole("button", { name: "Add policy" }).click();
  await expect(form.getByLabel("Threshold")).toHaveAccessibleDescription("A number from 0 to 1.");
  await form.getByLabel("Threshold").fill("0.7");
  const apiBase = form.getByLabel("API base");
  await apiBase.fill("http://127.0.0.1:9");
  await form.getByRole("button", { name: "Add policy" }).click();
  await expect(apiBase).toHaveAttribute("aria-invalid", "true");
  await expect(apiBase).toHaveAccessibleDescription(/loopback or private address/);
  await expectAccessible(page);
  await shot(page, "guardrails-add-refused", { fullPage: false });
  await apiBase.fill("");
  await form.getByLabel("Mode").selectOption("POST_CALL");
  await form.getByRole("button", { name: "Add policy" }).click();
  await expect(form).toHaveCount(0);

  const row = page.getByRole("table", { name: "Guardrail policies" }).getByRole("row").filter({ hasText: POLICY });
  await expect(row).toContainText("Lakera");
  await expect(row).toContainText("after the call");
  await expect(row).toContainText("threshold 0.7");
  await expectAccessible(page);
  await shot(page, "guardrails");

  // Edit: the name stays, the new threshold shows in the row.
  await row.getByRole("button", { name: `Edit ${POLICY}` }).click();
  const edit = page.getByRole("dialog", { name: "Edit guardrail policy" });
  await expect(edit.getByLabel("Name")).toBeDisabled();
  await expect(edit.getByLabel("Mode")).toHaveValue("POST_CALL");
  await edit.getByLabel("Threshold").fill("0.4");
  await edit.getByRole("button", { name: "Save changes" }).click();
  await expect(edit).toHaveCount(0);
  await expect(row).toContainText("threshold 0.4");

  await row.getByRole("button", { name: `Delete ${POLICY}` }).click();
  await page.getByRole("dialog", { name: "Delete the guardrail policy?" }).getByRole("button", { name: "Delete policy" }).click();
  await expect(row).toHaveCount(0);
  await expect(page.getByText("No guardrail policy")).toBeVisible();
});

test("a router setting is checked, saved and still there after a reload", async ({ page }) => {
  await signInWithMasterKey(page, "/ui/settings");
  await expect(page.getByRole("heading", { name: "Settings" })).toBeVisible();
  const router = page.getByRole("region", { name: "Router" });
  const retries = router.getByLabel("Retries");
  await retries.fill("eleven");
  await router.getByRole("button", { name: "Save router" }).click();
  await expect(retries).toHaveAccessibleDescription("A whole number from 0 to 10.");
  await retries.fill("4");
  await router.getByLabel("Routing strategy").selectOption("LEAST_BUSY");
  await router.getByRole("button", { name: "Save router" }).click();
  await expect(router.getByText(/^Saved\./)).toBeVisible();
  await expect(router.getByText("Changed here")).toBeVisible();
  await expectAccessible(page);
  await shot(page, "settings");

  await page.reload();
  const reloaded = page.getByRole("region", { name: "Router" });
  await expect(reloaded.getByLabel("Retries")).toHaveValue("4");
  await expect(reloaded.getByLabel("Routing strategy")).toHaveValue("LEAST_BUSY");
  // The cache section's own check: a namespace with spaces never reaches the API.
  const cache = page.getByRole("region", { name: "Response cache" });
  await cache.getByLabel("Namespace").fill("two words");
  await cache.getByRole("button", { name: "Save response cache" }).click();
  await expect(cache.getByLabel("Namespace")).toHaveAttribute("aria-invalid", "true");
});

test("the live tail shows a /v1 call without a reload", async ({ page, request }) => {
  test.setTimeout(90_000);
  await signInWithMasterKey(page, "/ui/usage");
  await expect(page.getByRole("heading", { name: "Usage" })).toBeVisible();
  await page.getByRole("switch", { name: "Live" }).check();
  const live = page.getByRole("region", { name: "Live requests" });
  await expect(live.getByText("Waiting for new requests…")).toBeVisible();
  // Let the tail take its starting cursor before the call is made.
  await page.waitForResponse((r) => r.url().endsWith("/graphql") && (r.request().postData() ?? "").includes("RequestLogTail"));

  const response = await request.post("/v1/chat/completions", {
    headers: { authorization: `Bearer ${MASTER_KEY}` },
    data: { model: "demo", messages: [{ role: "user", content: `live tail ${STAMP}` }] },
  });
  expect(response.status()).toBe(200);
  const requestId = response.headers()["x-request-id"];
  expect(requestId).toBeTruthy();
  await expect(live.getByRole("button", { name: new RegExp(`details of request ${requestId}`) })).toBeVisible({ timeout: 30_000 });
  await expect(live.getByRole("status")).toContainText("1 new request");
  await expectAccessible(page);
  await shot(page, "usage-live");
  await page.getByRole("switch", { name: "Live" }).uncheck();
  await expect(live).toHaveCount(0);
  // Stopped, the paged table takes the call in.
  await expect(
    page.getByRole("table", { name: "Request log" }).getByRole("button", { name: new RegExp(`details of request ${requestId}`) }),
  ).toBeVisible();
});

test("the audit log filters by action family, target and shows a bulk block's reason", async ({ page, request }) => {
  const made = await adminGraphql<{ createKey: { key: { id: string } } }>(
    request,
    `mutation { createKey(input: { alias: "audit-e2e-${STAMP}" }) { key { id } errors { message } } }`,
  );
  const keyId = made.createKey.key.id;
  // Entries of every family the filters below look for, written by this test itself.
  const deployed = await adminGraphql<{ createModelDeployment: { deployment: { id: string } } }>(
    request,
    `mutation { createModelDeployment(input: { modelName: "audit-${STAMP}", params: { model: "demo/echo" } }) {
       deployment { id } errors { message } } }`,
  );
  const deploymentId = deployed.createModelDeployment.deployment.id;
  await adminGraphql(
    request,
    `mutation ($id: ID!) {
       updateModelDeployment(id: $id, input: { params: { model: "demo/echo", rpm: 5 } }) { errors { message } }
       deleteModelDeployment(id: $id) { deletedId }
       setGuardrailPolicy(input: { name: "audit-${STAMP}", guardrail: LAKERA }) { errors { message } }
       deleteGuardrailPolicy(name: "audit-${STAMP}") { errors { message } }
       updateRouterSettings(input: { cooldownTime: 31 }) { errors { message } }
     }`,
    { id: deploymentId },
  );
  await adminGraphql(
    request,
    `mutation ($ids: [ID!]!) { blockKeys(keyIds: $ids, reason: "leaked in a CI log ${STAMP}") { errors { message } } }`,
    { ids: [keyId] },
  );

  await signInWithMasterKey(page, "/ui/audit");
  await expect(page.getByRole("heading", { name: "Audit log" })).toBeVisible();
  const table = page.getByRole("table", { name: "Audit entries" });
  await page.getByLabel("Action").selectOption({ label: "Deployments" });
  for (const action of ["deployment.create", "deployment.update", "deployment.delete"]) {
    await expect(table.getByText(action, { exact: true }).first()).toBeVisible();
  }
  await expect(table.getByText(/^key\./)).toHaveCount(0);
  await page.getByLabel("Action").selectOption({ label: "Settings and guardrails" });
  await expect(table.getByText("settings.guardrail.set", { exact: true }).first()).toBeVisible();
  await expect(table.getByText("settings.router.update", { exact: true }).first()).toBeVisible();

  await page.getByLabel("Action").selectOption({ label: "Keys" });
  await page.getByLabel("Target id").fill(keyId);
  await expect(table.getByRole("row")).toHaveCount(3);
  const blocked = table.getByRole("row").filter({ hasText: "key.block" });
  await expect(blocked).toContainText(`Reason: leaked in a CI log ${STAMP}`);
  await expectAccessible(page);
  await shot(page, "audit-filtered");
  await blocked.getByRole("button", { name: /^Changes of key\.block/ }).click();
  const drawer = page.getByRole("dialog", { name: "key.block" });
  await expect(drawer).toContainText(`Reason: leaked in a CI log ${STAMP}`);
  await expectAccessible(page);
  await shot(page, "audit-reason", { fullPage: false });
});

test("a co-admin reads models, guardrails and settings without changing them", async ({ page, request }) => {
  const email = `coadmin-${STAMP}@example.com`;
  const temporary = await createUser(request, email, "PLATFORM_CO_ADMIN");
  const name = `${MODEL}-read`;
  const policyName = `e2e-read-${STAMP}`;
  const made = await adminGraphql<{ createModelDeployment: { deployment: { id: string } } }>(
    request,
    `mutation ($name: String!) {
       createModelDeployment(input: { modelName: $name, params: { model: "demo/echo", rpm: 12 } }) {
         deployment { id } errors { message } } }`,
    { name },
  );
  await adminGraphql(
    request,
    `mutation ($name: String!) {
       setGuardrailPolicy(input: { name: $name, guardrail: PRESIDIO, defaultOn: false,
         piiEntities: [{ entity: "EMAIL_ADDRESS", action: MASK }] }) { errors { message } } }`,
    { name: policyName },
  );
  await firstSignIn(page, email, temporary, "/ui/models");
  await expect(page.getByRole("heading", { name: "Models" })).toBeVisible();
  await expect(page.getByText("Read only: platform administrators add, change and test deployments.")).toBeVisible();
  const group = page.getByRole("region", { name: `Model ${name}` });
  await expect(group).toContainText("rpm 12");
  await expect(page.getByRole("button", { name: "Add deployment" })).toHaveCount(0);
  await expect(group.getByRole("button")).toHaveCount(0);
  await expectAccessible(page);
  await shot(page, "models-coadmin");
  // Dark, and at the narrowest supported width.
  await page.getByRole("button", { name: "Use dark theme" }).click();
  await page.setViewportSize({ width: 768, height: 900 });
  await expectAccessible(page);
  await shot(page, "models-coadmin-dark-768");
  await page.setViewportSize({ width: 1280, height: 720 });
  await page.getByRole("button", { name: "Use light theme" }).click();

  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Guardrails" }).click();
  await expect(page.getByRole("heading", { name: "Guardrails" })).toBeVisible();
  await expect(page.getByText(/^Read only/)).toBeVisible();
  const policy = page.getByRole("table", { name: "Guardrail policies" }).getByRole("row").filter({ hasText: policyName });
  await expect(policy).toContainText("EMAIL_ADDRESS mask");
  await expect(policy.getByRole("button")).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Add policy" })).toHaveCount(0);
  await expectAccessible(page);
  await shot(page, "guardrails-coadmin");

  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Settings" }).click();
  const router = page.getByRole("region", { name: "Router" });
  const settings = await adminGraphql<{ gatewaySettings: { router: { numRetries: number } } }>(
    request,
    "{ gatewaySettings { router { numRetries } } }",
  );
  await expect(router.getByLabel("Retries")).toHaveValue(String(settings.gatewaySettings.router.numRetries));
  await expect(router.getByLabel("Retries")).toBeDisabled();
  await expect(page.getByRole("button", { name: /^Save / })).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Flush cache" })).toHaveCount(0);
  await expectAccessible(page);
  await shot(page, "settings-coadmin");
  await adminGraphql(
    request,
    `mutation ($id: ID!, $name: String!) {
       deleteModelDeployment(id: $id) { deletedId }
       deleteGuardrailPolicy(name: $name) { deletedName }
     }`,
    { id: made.createModelDeployment.deployment.id, name: policyName },
  );
});

test("an organization user is not allowed on guardrails or settings", async ({ page, request }) => {
  const email = `member-${STAMP}@example.com`;
  const temporary = await createUser(request, email, "ORG_USER");
  await firstSignIn(page, email, temporary, "/ui/guardrails");
  await expect(page.getByRole("heading", { name: "Not allowed" })).toBeVisible();
  const nav = page.getByRole("navigation", { name: "Main" });
  for (const name of ["Models", "Guardrails", "Settings"]) await expect(nav.getByRole("link", { name })).toHaveCount(0);
  await expectAccessible(page);
  await shot(page, "guardrails-not-allowed");
  await page.goto("/ui/settings");
  await expect(page.getByRole("heading", { name: "Not allowed" })).toBeVisible();
  await page.goto("/ui/models");
  await expect(page.getByRole("heading", { name: "Not allowed" })).toBeVisible();
});
