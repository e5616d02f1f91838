// A keyword guardrail made and edited in the console keeps the fields the form does not show;
// the cache section saves mode and scope, and a platform admin flushes the cache.
import { expect, test } from "@playwright/test";

import { adminGraphql, expectAccessible, shot, signInWithMasterKey } from "./support";

test.describe.configure({ mode: "serial" });

const POLICY = `e2e-words-${Date.now()}`;

interface Stored {
  keywords: string[];
  patterns: string[];
  keywordAction: string;
  mode: string;
  allowList: string[];
  adHocRecognizers: Array<{ supportedEntity: string; patterns: Array<{ regex: string }> }>;
  onFlagged: string;
  timeout: number;
  unreachableFallback: string;
  phoneRegions: string[];
  streamHold: boolean;
}

async function stored(request: Parameters<typeof adminGraphql>[0]): Promise<Stored> {
  const data = await adminGraphql<{ gatewaySettings: { guardrails: Array<Stored & { name: string }> } }>(
    request,
    `{ gatewaySettings { guardrails { name keywords patterns keywordAction mode allowList
         adHocRecognizers { supportedEntity patterns { regex } } onFlagged timeout unreachableFallback
         phoneRegions streamHold } } }`,
  );
  const policy = data.gatewaySettings.guardrails.find((g) => g.name === POLICY);
  if (!policy) throw new Error(`${POLICY} is not stored`);
  return policy;
}

test("a keyword guardrail is added, and an edit keeps the fields the form does not show", async ({ page, request }) => {
  await signInWithMasterKey(page, "/ui/guardrails");
  await page.getByRole("button", { name: "Add policy" }).click();
  const form = page.getByRole("dialog", { name: "Add a guardrail policy" });
  await form.getByLabel("Name").fill(POLICY);
  await expect(form.getByLabel("Analyzer API base")).toBeVisible();
  await shot(page, "guardrail-presidio-form", { fullPage: false });
  await form.getByLabel("Type").selectOption("LAKERA");
  await expect(form.getByLabel("When flagged")).toBeVisible();
  await shot(page, "guardrail-lakera-form", { fullPage: false });
  await form.getByLabel("Type").selectOption("KEYWORDS");
  await expect(form.getByLabel("PII entities")).toHaveCount(0);
  await form.getByRole("button", { name: "Add policy" }).click();
  await expect(form.getByLabel("Keywords")).toHaveAccessibleDescription("At least one keyword or pattern.");
  await form.getByLabel("Patterns").fill("(unclosed");
  await form.getByRole("button", { name: "Add policy" }).click();
  await expect(form.getByLabel("Patterns")).toHaveAccessibleDescription("Not a regular expression: (unclosed");
  await form.getByLabel("Keywords").fill("forbidden\nsecret project");
  await form.getByLabel("Patterns").fill("sk-[a-z]{8}");
  await form.getByLabel("On a match").selectOption("MASK");
  await expectAccessible(page);
  await shot(page, "guardrail-keywords-form", { fullPage: false });
  await form.getByRole("button", { name: "Add policy" }).click();
  await expect(form).toHaveCount(0);

  const row = page.getByRole("table", { name: "Guardrail policies" }).getByRole("row").filter({ hasText: POLICY });
  await expect(row).toContainText("Keywords");
  await expect(row).toContainText("mask · forbidden, secret project · 1 pattern(s)");
  expect(await stored(request)).toMatchObject({ keywords: ["forbidden", "secret project"], patterns: ["sk-[a-z]{8}"], keywordAction: "MASK" });

  // Fields the keyword form does not show, set through the API.
  await adminGraphql(
    request,
    `mutation ($name: String!) {
       setGuardrailPolicy(input: { name: $name, guardrail: KEYWORDS, keywords: ["forbidden", "secret project"],
         patterns: ["sk-[a-z]{8}"], keywordAction: MASK, allowList: ["ACME"], phoneRegions: ["DE"],
         adHocRecognizers: [{ supportedEntity: "TICKET", patterns: [{ regex: "T-[0-9]+" }] }],
         onFlagged: MONITOR, timeout: 2, unreachableFallback: FAIL_OPEN }) { errors { message } }
     }`,
    { name: POLICY },
  );
  await page.reload();
  await row.getByRole("button", { name: `Edit ${POLICY}` }).click();
  const edit = page.getByRole("dialog", { name: "Edit guardrail policy" });
  await expect(edit.getByLabel("Keywords")).toHaveValue("forbidden\nsecret project");
  await edit.getByLabel("Keywords").fill("forbidden\nsecret project\nclassified");
  await edit.getByLabel("Mode").selectOption("POST_CALL");
  await edit.getByLabel(/Hold streamed answers/).check();
  await shot(page, "guardrail-keywords-edit", { fullPage: false });
  await edit.getByRole("button", { name: "Save changes" }).click();
  await expect(edit).toHaveCount(0);
  await expect(row).toContainText("after the call");

  expect(await stored(request)).toEqual({
    name: POLICY,
    keywords: ["forbidden", "secret project", "classified"],
    patterns: ["sk-[a-z]{8}"],
    keywordAction: "MASK",
    mode: "POST_CALL",
    streamHold: true,
    allowList: ["ACME"],
    adHocRecognizers: [{ supportedEntity: "TICKET", patterns: [{ regex: "T-[0-9]+" }] }],
    onFlagged: "MONITOR",
    timeout: 2,
    unreachableFallback: "FAIL_OPEN",
    phoneRegions: ["DE"],
  });
  await shot(page, "guardrails-keywords");
  await page.setViewportSize({ width: 768, height: 900 });
  await shot(page, "guardrails-keywords-768");
  await row.getByRole("button", { name: `Edit ${POLICY}` }).click();
  await shot(page, "guardrail-keywords-edit-768", { fullPage: false });
  // Other specs expect an empty list once their own policy is gone.
  await adminGraphql(request, `mutation ($name: String!) { deleteGuardrailPolicy(name: $name) { deletedName } }`, { name: POLICY });
});

test("cache mode and scope are saved and a platform admin flushes the cache", async ({ page, request }) => {
  const { gatewaySettings: { cache: before } } = await adminGraphql<{ gatewaySettings: { cache: { enabled: boolean; mode: string; scope: string } } }>(
    request,
    "{ gatewaySettings { cache { enabled mode scope } } }",
  );
  await signInWithMasterKey(page, "/ui/settings");
  const cache = page.getByRole("region", { name: "Response cache" });
  await cache.getByLabel("Cache responses").check();
  await cache.getByLabel("Which calls").selectOption("DEFAULT_OFF");
  await cache.getByLabel("Shared").selectOption("TEAM");
  await cache.getByRole("button", { name: "Save response cache" }).click();
  await expect(cache.getByText(/^Saved\./)).toBeVisible();
  const data = await adminGraphql<{ gatewaySettings: { cache: { enabled: boolean; mode: string; scope: string } } }>(
    request,
    "{ gatewaySettings { cache { enabled mode scope } } }",
  );
  expect(data.gatewaySettings.cache).toEqual({ enabled: true, mode: "DEFAULT_OFF", scope: "TEAM" });
  await expectAccessible(page);
  await shot(page, "settings-cache");

  await cache.getByRole("button", { name: "Flush cache" }).click();
  const dialog = page.getByRole("dialog", { name: "Flush the response cache?" });
  await dialog.getByRole("button", { name: "Flush cache" }).click();
  await expect(dialog.getByText(/^The cache was emptied/)).toBeVisible();
  await shot(page, "settings-cache-flushed", { fullPage: false });
  await dialog.getByRole("button", { name: "Done" }).click();
  await expect(dialog).toHaveCount(0);

  await page.reload();
  await expect(page.getByRole("region", { name: "Response cache" }).getByLabel("Shared")).toHaveValue("TEAM");
  await page.setViewportSize({ width: 768, height: 900 });
  await shot(page, "settings-cache-768");
  // The other specs share this gateway: leave the cache as it was.
  await adminGraphql(
    request,
    `mutation ($input: CacheSettingsInput!) { updateCacheSettings(input: $input) { errors { message } } }`,
    { input: { enabled: before.enabled, mode: before.mode, scope: before.scope } },
  );
});
