// The dashboard's budgets card, from budgetsNearLimit: a priced model, a key with a small
// daily budget, one call through /v1, and the key is listed past 80 % with a link to it.
import { expect, test } from "@playwright/test";

import { adminGraphql, expectAccessible, shot, signInWithMasterKey } from "./support";

const STAMP = Date.now();

test("a key past 80 % of its budget is listed on the dashboard and links to the key", async ({ page, request }) => {
  test.setTimeout(120_000);
  const model = `priced-${STAMP}`;
  await adminGraphql(
    request,
    `mutation ($m: String!) { createModelDeployment(input: { modelName: $m,
       params: { model: "demo/echo", input_cost_per_token: "0", output_cost_per_token: "0.01" } }) {
       errors { message } } }`,
    { m: model },
  );
  const alias = `budget-e2e-${STAMP}-a-long-alias-that-must-not-push-the-meter-off-the-card`;
  // Only output is priced ($0.01 a token) and a call may write at most 10 tokens, so it
  // fits in a budget of 10 cents; the demo model's reply of 10 short words costs most of it.
  const made = await adminGraphql<{ createKey: { key: { id: string }; secret: string } }>(
    request,
    `mutation ($a: String!, $m: String!) { createKey(input: { alias: $a, models: [$m], maxBudget: "0.10",
       budgetDuration: "1d" }) { key { id } secret errors { message } } }`,
    { a: alias, m: model },
  );
  const keyId = made.createKey.key.id;
  // The new deployment reaches the router shortly after it is saved.
  await expect(async () => {
    const completion = await request.post("/v1/chat/completions", {
      headers: { authorization: `Bearer ${made.createKey.secret}` },
      data: { model, max_tokens: 10, messages: [{ role: "user", content: "ab ab ab ab ab ab ab ab ab ab ab ab" }] },
    });
    expect(completion.status(), await completion.text()).toBe(200);
  }).toPass({ timeout: 15_000 });

  await signInWithMasterKey(page, "/ui/");
  await expect(page.getByRole("heading", { name: "Dashboard" })).toBeVisible();
  // Spend is written in batches: poll.
  const list = page.getByRole("list", { name: "Budgets above 80 %" });
  await expect(async () => {
    await page.reload();
    await expect(list.getByRole("link", { name: alias })).toBeVisible({ timeout: 2_000 });
  }).toPass({ timeout: 30_000 });
  const row = list.getByRole("listitem").filter({ has: page.getByRole("link", { name: alias }) });
  await expect(row.getByText("Key", { exact: true })).toBeVisible();
  await expect(row.getByRole("meter", { name: `Spend of ${alias}` })).toBeVisible();
  await expect(row).toContainText("of $0.10");
  await expect(row).toContainText(/per day, resets /);
  await expectAccessible(page);
  await shot(page, "dashboard-budgets");
  await page.setViewportSize({ width: 768, height: 1000 });
  await shot(page, "narrow-dashboard-budgets");

  await row.getByRole("link", { name: alias }).click();
  await expect(page).toHaveURL(new RegExp(`/ui/keys/${keyId}$`));
  await expect(page.getByRole("dialog", { name: `Edit ${alias}` })).toBeVisible();
});
