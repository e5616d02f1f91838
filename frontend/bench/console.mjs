// `just bench-console`'s browser half: signs in to the console with the master key in Debian's
// Chromium, in a new profile each run (nothing cached), and measures how long the dashboard
// takes to render after the sign-in click, how long the keys page and the usage page (the
// request log) then take from a click in the nav to their first page of rows, and how much
// JavaScript (gzip-compressed, as a
// compressing proxy or CDN would send it) was loaded before it did. Prints one JSON object;
// the last run's usage page is saved as test-results/bench-console-usage.png.
//
//   node bench/console.mjs <gateway root URL> <master key> <runs>
import { gzipSync } from "node:zlib";

import { chromium } from "@playwright/test";

const [root, masterKey, runsArg = "5"] = process.argv.slice(2);
if (!root || !masterKey) {
  console.error("usage: node bench/console.mjs <root URL> <master key> [runs]");
  process.exit(2);
}
const runs = Number.parseInt(runsArg, 10);
const TIMEOUT_MS = 30_000;

// Rendered: the totals are shown, the chart has drawn, and nothing in the page still loads.
function dashboardRendered() {
  const main = document.querySelector("main");
  if (!main) return false;
  const heading = [...main.querySelectorAll("h1")].some((h) => h.textContent === "Dashboard");
  const totals = [...main.querySelectorAll("dt")].some((dt) => dt.textContent === "Spend");
  const chart = main.querySelector(".deltallm-chart canvas") !== null;
  const loading = main.querySelector('[role="status"]:has(.animate-spin)') !== null; // spinners, not chart tooltips
  const failed = main.querySelector('[role="alert"]');
  if (failed) throw new Error(`the dashboard shows an error: ${failed.textContent}`);
  return heading && totals && chart && !loading;
}

// A list page is shown when its table has rows and nothing in the page still loads.
function tableShown(label) {
  const table = document.querySelector(`main table[aria-label="${label}"]`);
  const loading = document.querySelector('main [role="status"]:has(.animate-spin)') !== null;
  return table !== null && table.querySelectorAll("tbody tr").length > 0 && !loading;
}

/** Milliseconds from a click on the nav link to the page's table shown. */
async function openList(page, link, table) {
  const started = performance.now();
  await page.getByRole("navigation").getByRole("link", { name: link, exact: true }).click();
  await page.waitForFunction(tableShown, table, { polling: "raf", timeout: TIMEOUT_MS });
  return performance.now() - started;
}

function totalsShown() {
  return [...document.querySelectorAll("main dt")].some((dt) => dt.textContent === "Spend");
}

async function once(browser, last) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const scripts = new Map();
  const queries = [];
  let counting = true;
  page.on("requestfinished", (request) => {
    if (!counting || !request.url().endsWith("/graphql")) return;
    const timing = request.timing();
    let name = "?";
    try {
      name = JSON.parse(request.postData() ?? "{}").operationName ?? "?";
    } catch {}
    queries.push({ name, ms: timing.responseEnd });
  });
  page.on("response", (response) => {
    if (!counting || response.request().resourceType() !== "script") return;
    const at = performance.now();
    scripts.set(
      response.url(),
      response.body().then(
        (body) => ({ url: response.url(), at, raw: body.length, gzip: gzipSync(body).length }),
        () => ({ url: response.url(), at, raw: 0, gzip: 0 }),
      ),
    );
  });
  await page.goto(`${root}/ui/sign-in`);
  await page.getByRole("tab", { name: "Master key" }).click();
  await page.getByRole("textbox", { name: "Master key" }).fill(masterKey);
  const button = page.getByRole("button", { name: "Sign in with the key" });
  await button.waitFor();
  const started = performance.now();
  await button.click();
  let totalsMs, renderedMs;
  try {
    await page.waitForFunction(totalsShown, null, { polling: "raf", timeout: TIMEOUT_MS });
    totalsMs = performance.now() - started;
    await page.waitForFunction(dashboardRendered, null, { polling: "raf", timeout: TIMEOUT_MS });
    renderedMs = performance.now() - started;
  } catch (error) {
    const shot = new URL("../test-results/bench-console-failure.png", import.meta.url).pathname;
    await page.screenshot({ path: shot, fullPage: true });
    const state = await page.evaluate(() => ({
      h1: [...document.querySelectorAll("main h1")].map((h) => h.textContent),
      chart: document.querySelectorAll("main .deltallm-chart canvas").length,
      loading: [...document.querySelectorAll('main [role="status"]')].map((e) => e.textContent),
    }));
    console.error(`the dashboard did not render (${JSON.stringify(state)}); the page: ${shot}`);
    throw error;
  }
  counting = false;
  const sizes = await Promise.all(scripts.values());
  const keysMs = await openList(page, "API keys", "API keys");
  const usageMs = await openList(page, "Usage", "Request log");
  if (last) {
    const shot = new URL("../test-results/bench-console-usage.png", import.meta.url).pathname;
    await page.screenshot({ path: shot, fullPage: true });
  }
  await context.close();
  const beforeTotals = sizes.filter((s) => s.at - started < totalsMs);
  const sum = (list, field) => list.reduce((total, s) => total + s[field], 0);
  return {
    totals_ms: totalsMs,
    rendered_ms: renderedMs,
    keys_page_ms: keysMs,
    usage_page_ms: usageMs,
    scripts: sizes.length,
    js_raw_bytes: sum(sizes, "raw"),
    js_gzip_bytes: sum(sizes, "gzip"),
    js_gzip_bytes_before_totals: sum(beforeTotals, "gzip"),
    graphql: queries,
    files: sizes
      .map((s) => ({ file: new URL(s.url).pathname.split("/").pop(), gzip: s.gzip, before_totals: s.at - started < totalsMs }))
      .sort((a, b) => b.gzip - a.gzip),
  };
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
  ],
});
try {
  const results = [];
  for (let i = 0; i < runs; i += 1) {
    const result = await once(browser, i === runs - 1);
    results.push(result);
    console.error(
      `run ${i + 1}/${runs}: dashboard rendered ${result.rendered_ms.toFixed(0)} ms after sign-in ` +
        `(totals ${result.totals_ms.toFixed(0)} ms), ${(result.js_gzip_bytes / 1024).toFixed(1)} KB ` +
        `gzipped JS in ${result.scripts} files (${(result.js_gzip_bytes_before_totals / 1024).toFixed(1)} KB before the totals)`,
    );
  }
  console.log(JSON.stringify({ runs: results, chromium: browser.version() }));
} finally {
  await browser.close();
}
