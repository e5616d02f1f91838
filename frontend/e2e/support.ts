// Helpers for the console's browser tests: the admin API with the master key, an RFC 6238
// TOTP, axe-core, and screenshots under test-results/.
import { createHmac } from "node:crypto";
import { fileURLToPath } from "node:url";

import { expect, type APIRequestContext, type Page } from "@playwright/test";

export const MASTER_KEY = "sk-e2e";
const AXE = fileURLToPath(new URL("../node_modules/axe-core/axe.min.js", import.meta.url));
const SHOTS = fileURLToPath(new URL("../test-results/", import.meta.url));

/** One GraphQL call with the master key; fails the test on any GraphQL error. */
export async function adminGraphql<T>(
  request: APIRequestContext,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<T> {
  const response = await request.post("/graphql", {
    data: { query, variables },
    headers: { authorization: `Bearer ${MASTER_KEY}` },
  });
  const body = (await response.json()) as { data?: T; errors?: unknown[] };
  expect(body.errors, JSON.stringify(body.errors)).toBeUndefined();
  return body.data as T;
}

/** A new user with a temporary password (they must change it at first sign-in). */
export async function createUser(
  request: APIRequestContext,
  email: string,
  role: "PLATFORM_ADMIN" | "PLATFORM_CO_ADMIN" | "ORG_USER",
): Promise<string> {
  const data = await adminGraphql<{ createUser: { temporaryPassword: string | null; errors: unknown[] } }>(
    request,
    `mutation ($email: String!, $role: PlatformRole!) {
       createUser(email: $email, role: $role) { temporaryPassword errors { message } }
     }`,
    { email, role },
  );
  expect(data.createUser.errors).toEqual([]);
  const password = data.createUser.temporaryPassword;
  if (!password) throw new Error("createUser gave no temporary password");
  return password;
}

function base32(text: string): Buffer {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const char of text.replace(/=+$/, "").toUpperCase()) {
    const value = alphabet.indexOf(char);
    if (value < 0) throw new Error(`not base32: ${char}`);
    bits += value.toString(2).padStart(5, "0");
  }
  const bytes: number[] = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(Number.parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(bytes);
}

/** RFC 6238 TOTP (SHA-1, 30-second steps, 6 digits) for `secret`, `stepOffset` steps from now. */
export function totp(secret: string, stepOffset = 0, now = Date.now()): string {
  const step = Math.floor(now / 1000 / 30) + stepOffset;
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const digest = createHmac("sha1", base32(secret)).update(counter).digest();
  const offset = (digest[digest.length - 1] ?? 0) & 0x0f;
  const code = (digest.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return code.toString().padStart(6, "0");
}

/** No serious or critical axe-core violation on the page as it is now. */
export async function expectAccessible(page: Page): Promise<void> {
  await page.addScriptTag({ path: AXE });
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: () => Promise<{ violations: Array<{ id: string; impact: string | null; help: string; nodes: Array<{ target: unknown }> }> }> } }).axe;
    const result = await axe.run();
    return result.violations
      .filter((v) => v.impact === "serious" || v.impact === "critical")
      .map((v) => `${v.id} (${v.impact}): ${v.help} at ${JSON.stringify(v.nodes.slice(0, 3).map((n) => n.target))}`);
  });
  expect(violations).toEqual([]);
}

/** A full-page screenshot in frontend/test-results/ (ignored by git), to look at. */
export async function shot(page: Page, name: string, { fullPage = true } = {}): Promise<void> {
  await page.screenshot({ path: `${SHOTS}console-${name}.png`, fullPage });
}

/** Sign in on the master-key tab. */
export async function signInWithMasterKey(page: Page, path = "/ui/"): Promise<void> {
  await page.goto(path);
  await page.getByRole("tab", { name: "Master key" }).click();
  await page.getByRole("textbox", { name: "Master key" }).fill(MASTER_KEY);
  await page.getByRole("button", { name: "Sign in with the key" }).click();
}
