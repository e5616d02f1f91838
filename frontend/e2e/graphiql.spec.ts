import { expect, test, type Locator, type Page } from "@playwright/test";

const MASTER_KEY = "sk-e2e";

/** Replace a Monaco editor's text by typing, as a person would. */
async function typeInto(page: Page, editor: Locator, text: string): Promise<void> {
  await editor.locator(".monaco-editor").first().click();
  await page.keyboard.press("ControlOrMeta+A");
  await page.keyboard.press("Delete");
  await page.keyboard.type(text);
}

test("GraphiQL runs a query with a key from the headers editor", async ({ page, baseURL }) => {
  // Everything (scripts, styles, fonts, Monaco workers) comes from the gateway: no CDN.
  const gateway = new URL(baseURL ?? "http://invalid").origin;
  const elsewhere: string[] = [];
  page.on("request", (request) => {
    const url = new URL(request.url());
    if (url.protocol.startsWith("http") && url.origin !== gateway) elsewhere.push(request.url());
  });
  const workers: string[] = [];
  page.on("worker", (worker) => workers.push(worker.url()));

  await page.goto("/graphql");
  const queryEditor = page.locator(".graphiql-query-editor");
  // The default example query is in the editor.
  await expect(queryEditor).toContainText("platformRole");

  // Monaco auto-closes braces and quotes: type only the opening ones.
  await typeInto(page, queryEditor, "{ me { kind");
  await page.getByRole("button", { name: "Headers" }).click();
  const headersEditor = page.locator(".graphiql-editor-tool .graphiql-editor").last();
  await typeInto(page, headersEditor, `{"Authorization": "Bearer ${MASTER_KEY}`);

  const sent = page.waitForRequest(
    (r) => r.method() === "POST" && /\bme\b/.test(r.postData() ?? ""),
  );
  await page.getByRole("button", { name: /Execute query/ }).click();
  const headers = (await sent).headers();
  expect(headers["authorization"]).toBe(`Bearer ${MASTER_KEY}`);
  expect(headers["x-deltallm-csrf"]).toBe("1");
  await expect(page.locator(".graphiql-response")).toContainText('"master_key"');
  expect(elsewhere).toEqual([]);
  expect(workers.length).toBeGreaterThan(0);
  if (process.env.GRAPHIQL_SCREENSHOT !== undefined) {
    await page.screenshot({ path: process.env.GRAPHIQL_SCREENSHOT });
  }
});
