import { expect, test } from "@playwright/test";

import { expectAccessible, shot, signInWithMasterKey } from "./support";

test.describe.configure({ mode: "serial" });

test("an admin signs in with the master key and lands on the dashboard", async ({ page }) => {
  const scripts: string[] = [];
  page.on("request", (r) => {
    if (r.resourceType() === "script") scripts.push(new URL(r.url()).pathname);
  });
  await signInWithMasterKey(page);
  await expect(page.getByRole("heading", { name: "Dashboard" })).toBeVisible();
  await expect(page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Audit log" })).toBeVisible();
  await expect(page.getByRole("link", { name: /GraphiQL/ })).toHaveAttribute("href", "/graphql");
  // The key lives in this tab only.
  expect(await page.evaluate(() => sessionStorage.getItem("deltallm.masterKey"))).toBe("sk-e2e");
  expect(await page.evaluate(() => localStorage.getItem("deltallm.masterKey"))).toBeNull();
  // The console's own bundle only: never GraphiQL's editor.
  expect(scripts.length).toBeGreaterThan(0);
  expect(scripts.filter((path) => !path.startsWith("/ui/assets/"))).toEqual([]);
});

test("a key made in the console works on /v1, shows on the dashboard, then is regenerated and revoked", async ({
  page,
  request,
}) => {
  test.setTimeout(180_000);
  const alias = `e2e-${Date.now()}-a-rather-long-alias-that-must-not-break-the-table-layout-at-all`;
  await signInWithMasterKey(page, "/ui/keys");
  await expect(page.getByRole("heading", { name: "API keys" })).toBeVisible();
  await expectAccessible(page);

  await page.getByRole("button", { name: "Create key" }).click();
  const form = page.getByRole("dialog", { name: "Create a key" });
  await form.getByLabel("Alias").fill(alias);
  // Validation runs before anything is sent.
  await form.getByLabel("Requests / minute").fill("ten");
  await form.getByRole("button", { name: "Create key" }).click();
  await expect(form.getByText("A whole number, 0 or more.")).toBeVisible();
  await form.getByLabel("Requests / minute").fill("60");
  // Models come from the gateway's model groups (demo is config.yaml's, not the database's).
  await form.getByRole("group", { name: "Models the gateway serves" }).getByRole("checkbox", { name: "demo", exact: true }).check();
  await expect(form.getByLabel("Models")).toHaveValue("demo");
  await form.getByLabel("Budget period").fill("30d");
  await form.getByLabel("Tags").fill("e2e, console");
  // The API's own refusal lands on the field it names.
  const budget = form.getByLabel("Budget ($)", { exact: true });
  await budget.fill("1000000000");
  await form.getByRole("button", { name: "Create key" }).click();
  await expect(budget).toHaveAttribute("aria-invalid", "true");
  await expect(budget).toHaveAccessibleDescription(/between 0 and/);
  await shot(page, "keys-create", { fullPage: false });
  await expectAccessible(page);
  await budget.fill("5");
  await form.getByRole("button", { name: "Create key" }).click();

  const secretDialog = page.getByRole("dialog", { name: "Your new key" });
  const secret = (await secretDialog.getByRole("textbox", { name: "New key secret" }).inputValue()).trim();
  expect(secret).toMatch(/^sk-/);
  await expect(secretDialog.getByRole("button", { name: "Copy" })).toBeVisible();
  await expectAccessible(page);
  await shot(page, "keys-secret", { fullPage: false });
  await secretDialog.getByRole("button", { name: "Done" }).click();

  // The new key is in the table at once, without a reload.
  const table = page.getByRole("table", { name: "API keys" });
  const row = table.getByRole("row").filter({ hasText: alias });
  await expect(row).toBeVisible();
  await expect(row).toContainText("demo");
  await shot(page, "keys");

  // Edit: the change shows in the row.
  await page.getByRole("button", { name: `Actions for ${alias}` }).click();
  await page.getByRole("menuitem", { name: "Edit" }).click();
  const edit = page.getByRole("dialog", { name: /^Edit / });
  await expect(edit.getByLabel("Alias")).toHaveValue(alias);
  await edit.getByLabel("Tokens / minute").fill("10000");
  await edit.getByRole("button", { name: "Save changes" }).click();
  await expect(edit).toHaveCount(0);
  await expect(row).toContainText("10000 tpm");

  // Server-side search by alias.
  await page.getByRole("searchbox", { name: "Search" }).fill("no-key-is-called-this");
  await page.getByRole("button", { name: "Search", exact: true }).click();
  await expect(page.getByText("No key matches")).toBeVisible();
  await page.getByRole("searchbox", { name: "Search" }).fill(alias.slice(0, 18));
  await page.getByRole("button", { name: "Search", exact: true }).click();
  await expect(row).toBeVisible();
  await page.getByRole("searchbox", { name: "Search" }).fill("");
  await page.getByRole("button", { name: "Search", exact: true }).click();

  // The key works on the OpenAI API.
  const completion = await request.post("/v1/chat/completions", {
    headers: { authorization: `Bearer ${secret}` },
    data: { model: "demo", messages: [{ role: "user", content: "Hello from the console test" }] },
  });
  expect(completion.status(), await completion.text()).toBe(200);

  // Its spend and request reach the dashboard (spend is written in batches: poll).
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Dashboard" }).click();
  await expect(async () => {
    await page.reload();
    await expect(page.getByRole("table", { name: "Top keys" })).toContainText(alias.slice(0, 20), { timeout: 2_000 });
  }).toPass({ timeout: 30_000 });
  await expect(page.getByRole("table", { name: "Spend by model" })).toContainText("demo");
  await expectAccessible(page);
  await shot(page, "dashboard");

  // A key's link opens it by id (/ui/keys/:keyId), wherever it is in the list.
  await page.getByRole("table", { name: "Top keys" }).getByRole("link", { name: alias }).click();
  await expect(page).toHaveURL(/\/ui\/keys\/[^/]+$/);
  const linked = page.getByRole("dialog", { name: `Edit ${alias}` });
  await expect(linked.getByLabel("Alias")).toHaveValue(alias);
  await linked.getByRole("button", { name: "Cancel" }).click();
  await expect(page).toHaveURL(/\/ui\/keys$/);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Dashboard" }).click();

  // 24 h: the last 24 local hours, per hour, from the request log; Usage shows the same totals.
  await page.getByRole("button", { name: "24 h" }).click();
  await expect(page.getByRole("heading", { name: "Spend per hour" })).toBeVisible();
  const cardValue = async (label: string) =>
    (await page.locator("dl div").filter({ has: page.getByText(label, { exact: true }) }).locator("dd").first().textContent())?.trim() ?? "";
  await expect(async () => expect(await cardValue("Requests")).not.toBe("0")).toPass({ timeout: 10_000 });
  const [hourSpend, hourRequests] = [await cardValue("Spend"), await cardValue("Requests")];
  expect(await cardValue("Median latency")).toMatch(/ms$/);
  await shot(page, "dashboard-24h");
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Usage" }).click();
  await expect(page.getByRole("figure", { name: "Spend per hour" })).toBeVisible();
  await expect(page.getByText(`${hourSpend} · ${hourRequests} ${hourRequests === "1" ? "request" : "requests"}`)).toBeVisible();
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Dashboard" }).click();

  // The same period on Usage: the same totals, and the call is in the request log.
  await page.getByRole("button", { name: "30 days" }).click();
  await expect(page.getByRole("button", { name: "30 days" })).toHaveAttribute("aria-pressed", "true");
  const requestsCard = page.locator("dl div").filter({ has: page.getByText("Requests", { exact: true }) });
  const dashboardRequests = (await requestsCard.locator("dd").first().textContent())?.trim() ?? "";
  const dashboardSpend = (
    await page.locator("dl div").filter({ has: page.getByText("Spend", { exact: true }) }).locator("dd").first().textContent()
  )?.trim();
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Usage" }).click();
  await expect(page).toHaveURL(/\/ui\/usage\?period=30d$/);
  await expect(page.getByRole("button", { name: "30 days" })).toHaveAttribute("aria-pressed", "true");
  const log = page.getByRole("table", { name: "Request log" });
  await expect(log.getByRole("row").filter({ hasText: "demo" }).first()).toBeVisible();
  await expect(page.getByRole("table", { name: "Spend by model" })).toContainText("demo");
  await expect(
    page.getByText(`${dashboardSpend} · ${dashboardRequests} ${dashboardRequests === "1" ? "request" : "requests"}`),
  ).toBeVisible();
  await expectAccessible(page);
  await shot(page, "usage");
  await page.getByLabel("Show times in UTC").check();
  await expect(log.getByRole("columnheader", { name: "Time (UTC)" })).toBeVisible();
  await log.getByRole("button", { name: /details of request/ }).first().click();
  const drawer = page.getByRole("dialog", { name: "Request details" });
  await expect(drawer).toContainText("Time to first token");
  await expect(drawer).toContainText("UTC");
  await expectAccessible(page);
  await shot(page, "usage-request", { fullPage: false });
  await drawer.getByRole("button", { name: "Close" }).click();

  // Regenerate: a new secret, shown once; the old one stops at once.
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "API keys" }).click();
  await page.getByRole("button", { name: `Actions for ${alias}` }).click();
  await page.getByRole("menuitem", { name: "Regenerate" }).click();
  const regenerate = page.getByRole("dialog", { name: "Regenerate the key?" });
  await regenerate.getByRole("button", { name: "Regenerate" }).click();
  const renewed = page.getByRole("dialog", { name: "The key's new secret" });
  const newSecret = (await renewed.getByRole("textbox", { name: "New key secret" }).inputValue()).trim();
  expect(newSecret).toMatch(/^sk-/);
  expect(newSecret).not.toBe(secret);
  await renewed.getByRole("button", { name: "Done" }).click();
  const old = await request.post("/v1/chat/completions", {
    headers: { authorization: `Bearer ${secret}` },
    data: { model: "demo", messages: [{ role: "user", content: "old secret" }] },
  });
  expect(old.status()).toBe(401);

  // Block, then unblock.
  await page.getByRole("button", { name: `Actions for ${alias}` }).click();
  await page.getByRole("menuitem", { name: "Block" }).click();
  await expect(row.getByText("blocked")).toBeVisible();
  await page.getByRole("button", { name: `Actions for ${alias}` }).click();
  await page.getByRole("menuitem", { name: "Unblock" }).click();
  await expect(row.getByText("active")).toBeVisible();

  // Revoke, after a confirmation.
  await page.getByRole("button", { name: `Actions for ${alias}` }).click();
  await page.getByRole("menuitem", { name: "Revoke" }).click();
  const confirm = page.getByRole("dialog", { name: "Revoke the key?" });
  await expectAccessible(page);
  await confirm.getByRole("button", { name: "Revoke key" }).click();
  await expect(table.getByRole("row").filter({ hasText: alias })).toHaveCount(0);
  const revoked = await request.post("/v1/chat/completions", {
    headers: { authorization: `Bearer ${newSecret}` },
    data: { model: "demo", messages: [{ role: "user", content: "revoked" }] },
  });
  // Key identities are cached in-process with a 60 s TTL as a safety net behind invalidation:
  // a refusal must come within that bound.
  const t0 = Date.now();
  let code = revoked.status();
  while (code !== 401 && Date.now() - t0 < 70_000) {
    await page.waitForTimeout(2000);
    code = (await request.post("/v1/chat/completions", {
      headers: { authorization: `Bearer ${newSecret}` },
      data: { model: "demo", messages: [{ role: "user", content: "revoked" }] },
    })).status();
  }
  expect(code).toBe(401);
  await page.getByLabel("Show revoked keys").check();
  await expect(table.getByRole("row").filter({ hasText: alias })).toContainText("revoked");

  // The audit log shows what was done, with the fields each change touched.
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Audit log" }).click();
  await page.getByLabel("Action", { exact: true }).selectOption({ label: "Keys" });
  const audit = page.getByRole("table", { name: "Audit entries" });
  for (const action of ["key.create", "key.regenerate", "key.block", "key.revoke"]) {
    await expect(audit.getByRole("cell", { name: action, exact: true }).first()).toBeVisible();
  }
  await expectAccessible(page);
  await shot(page, "audit");
  await audit.getByRole("button", { name: /^Changes of key\.revoke/ }).first().click();
  const changes = page.getByRole("dialog", { name: "key.revoke" });
  await expect(changes.getByRole("table", { name: "Changed fields" })).toContainText("revoked");
  await shot(page, "audit-changes", { fullPage: false });
});

test("a deep link reloads into the console", async ({ page }) => {
  await signInWithMasterKey(page, "/ui/keys");
  await expect(page.getByRole("heading", { name: "API keys" })).toBeVisible();
  await page.reload();
  await expect(page.getByRole("heading", { name: "API keys" })).toBeVisible();
  await page.goto("/ui/usage?period=custom&from=2026-01-01&to=2026-01-31");
  await expect(page.getByRole("button", { name: "Custom" })).toHaveAttribute("aria-pressed", "true");
  await expect(page.getByText("2026-01-01 → 2026-01-31 (UTC days)")).toBeVisible();
  await page.goto("/ui/no-such-page");
  await expect(page.getByRole("heading", { name: "Page not found" })).toBeVisible();
});

test("pages fit a 768 px wide window", async ({ page }) => {
  await page.setViewportSize({ width: 768, height: 900 });
  await signInWithMasterKey(page, "/ui/keys");
  for (const [path, heading] of [
    ["/ui/keys", "API keys"],
    ["/ui/", "Dashboard"],
    ["/ui/usage", "Usage"],
    ["/ui/audit", "Audit log"],
  ] as const) {
    await page.goto(path);
    await expect(page.getByRole("heading", { name: heading, exact: true })).toBeVisible();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow, `${path} scrolls sideways`).toBeLessThanOrEqual(0);
    await shot(page, `narrow-${heading.toLowerCase().replace(/ /g, "-")}`);
  }
});
