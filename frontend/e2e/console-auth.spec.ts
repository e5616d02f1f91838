import { expect, test, type Page } from "@playwright/test";

import { createUser, expectAccessible, shot, totp } from "./support";

const NEW_PASSWORD = "a-long-enough-passphrase-42";

async function fillSignIn(page: Page, email: string, password: string): Promise<void> {
  await page.getByRole("textbox", { name: "E-mail" }).fill(email);
  await page.getByRole("textbox", { name: "Password", exact: true }).fill(password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
}

/** First sign-in of a user made by an administrator: the temporary password must go. */
async function firstSignIn(page: Page, email: string, temporary: string, path = "/ui/"): Promise<void> {
  await page.goto(path);
  await fillSignIn(page, email, temporary);
  await expect(page.getByRole("heading", { name: "Choose a new password" })).toBeVisible();
  await page.getByRole("textbox", { name: "Current password" }).fill(temporary);
  await page.getByRole("textbox", { name: "New password", exact: true }).fill(NEW_PASSWORD);
  await page.getByRole("textbox", { name: "Repeat the new password" }).fill(NEW_PASSWORD);
  await page.getByRole("button", { name: "Change password" }).click();
}

async function signOut(page: Page, email: string): Promise<void> {
  await page.getByRole("button", { name: `Account: ${email}` }).click();
  await page.getByRole("menuitem", { name: "Sign out" }).click();
  await expect(page.getByRole("heading", { name: "Sign in to the console" })).toBeVisible();
}

test("a new admin changes the temporary password, enrolls MFA, then signs in with a TOTP and a recovery code", async ({
  page,
  request,
}) => {
  const email = `admin-${Date.now()}@example.com`;
  const temporary = await createUser(request, email, "PLATFORM_ADMIN");

  // A deep link while signed out goes to sign-in, and back there afterwards.
  await page.goto("/ui/keys");
  await expect(page).toHaveURL(/\/ui\/sign-in\?next=%2Fkeys$/);
  await expect(page.getByRole("heading", { name: "Sign in to the console" })).toBeVisible();
  // This gateway has no OIDC provider: no single sign-on button.
  await expect(page.getByRole("link", { name: "Sign in with single sign-on" })).toHaveCount(0);
  await expectAccessible(page);
  await shot(page, "sign-in");
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page.getByText("Enter your e-mail address.")).toBeVisible();
  await fillSignIn(page, email, "not-the-password");
  await expect(page.getByRole("alert")).toBeVisible();

  await fillSignIn(page, email, temporary);
  await expect(page.getByRole("heading", { name: "Choose a new password" })).toBeVisible();
  await expectAccessible(page);
  await page.getByRole("textbox", { name: "Current password" }).fill(temporary);
  await page.getByRole("textbox", { name: "New password", exact: true }).fill("short");
  await page.getByRole("button", { name: "Change password" }).click();
  await expect(page.getByText("Use at least 12 characters.")).toBeVisible();
  await shot(page, "change-password");
  await page.getByRole("textbox", { name: "New password", exact: true }).fill(NEW_PASSWORD);
  await page.getByRole("textbox", { name: "Repeat the new password" }).fill(NEW_PASSWORD);
  await page.getByRole("button", { name: "Change password" }).click();
  await expect(page.getByRole("heading", { name: "API keys" })).toBeVisible();
  await expect(page).toHaveURL(/\/ui\/keys$/);

  // MFA enrollment from the user menu.
  await page.getByRole("button", { name: `Account: ${email}` }).click();
  await page.getByRole("menuitem", { name: "Set up two-factor sign-in" }).click();
  await page.getByRole("button", { name: "Set up an authenticator app" }).click();
  await expect(page.getByRole("img", { name: "QR code of the authenticator secret" })).toBeVisible();
  const secret = (await page.getByRole("textbox", { name: "Authenticator secret" }).inputValue()).trim();
  expect(secret).toMatch(/^[A-Z2-7]+=*$/);
  await expectAccessible(page);
  await shot(page, "mfa-setup");
  await page.getByRole("textbox", { name: "Code from the app" }).fill(totp(secret));
  await page.getByRole("button", { name: "Turn on two-factor sign-in" }).click();
  const codes = page.getByRole("list", { name: "Recovery codes" }).getByRole("listitem");
  await expect(codes.first()).toBeVisible();
  const recovery = (await codes.allTextContents()).map((c) => c.trim());
  expect(recovery.length).toBeGreaterThan(0);
  const download = page.waitForEvent("download");
  await page.getByRole("button", { name: "Download codes" }).click();
  expect((await download).suggestedFilename()).toBe("deltallm-recovery-codes.txt");
  await expect(page.getByRole("button", { name: "Copy codes" })).toBeVisible();
  await expectAccessible(page);
  await shot(page, "mfa-recovery-codes");
  await page.getByRole("button", { name: "I have saved them, continue" }).click();
  await expect(page.getByRole("heading", { name: "Dashboard" })).toBeVisible();

  // Next sign-in asks for a code: a TOTP (the next step's: each code works once).
  await signOut(page, email);
  await fillSignIn(page, email, NEW_PASSWORD);
  const code = page.getByRole("textbox", { name: "Authentication code" });
  await expect(code).toBeVisible();
  await shot(page, "sign-in-mfa");
  await code.fill(totp(secret, 1));
  await page.getByRole("button", { name: "Verify and sign in" }).click();
  await expect(page.getByRole("heading", { name: "Dashboard" })).toBeVisible();

  // ... or a recovery code.
  await signOut(page, email);
  await fillSignIn(page, email, NEW_PASSWORD);
  await page.getByRole("textbox", { name: "Authentication code" }).fill(recovery[0] ?? "");
  await page.getByRole("button", { name: "Verify and sign in" }).click();
  await expect(page.getByRole("heading", { name: "Dashboard" })).toBeVisible();

  // Dark mode: follows the system until toggled.
  await page.getByRole("button", { name: "Use dark theme" }).click();
  await expect(page.locator("html")).toHaveClass(/dark/);
  await expectAccessible(page);
  await shot(page, "dashboard-dark");
  // The choice is remembered across pages and reloads.
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "API keys" }).click();
  await page.reload();
  await expect(page.locator("html")).toHaveClass(/dark/);
  await page.getByRole("button", { name: "Create key" }).click();
  await expect(page.getByRole("dialog", { name: "Create a key" })).toBeVisible();
  await expectAccessible(page);
  await shot(page, "keys-create-dark", { fullPage: false });
  await page.keyboard.press("Escape");
  await page.getByRole("button", { name: "Use light theme" }).click();
  await expect(page.locator("html")).not.toHaveClass(/dark/);
});

test("an ended session returns to sign-in with a message, then back to the page", async ({ page, request }) => {
  const email = `dev-${Date.now()}@example.com`;
  const temporary = await createUser(request, email, "ORG_USER");
  await firstSignIn(page, email, temporary);
  await expect(page.getByRole("heading", { name: "Dashboard" })).toBeVisible();

  // End the session on the server (as an expiry or a sign-out elsewhere would).
  const cookie = (await page.context().cookies()).find((c) => c.name === "deltallm_session");
  expect(cookie).toBeDefined();
  const ended = await request.post("/graphql", {
    data: { query: "mutation { logout }" },
    headers: { cookie: `deltallm_session=${cookie?.value ?? ""}`, "x-deltallm-csrf": "1" },
  });
  expect((await ended.json()) as unknown).toEqual({ data: { logout: true } });

  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "API keys" }).click();
  await expect(page.getByText("Your session has ended. Sign in again to continue.")).toBeVisible();
  await expect(page).toHaveURL(/\/ui\/sign-in\?next=%2Fkeys$/);
  await shot(page, "sign-in-expired");
  await fillSignIn(page, email, NEW_PASSWORD);
  await expect(page.getByRole("heading", { name: "API keys" })).toBeVisible();
});

test("an organization user sees no admin pages, and direct navigation says not allowed", async ({ page, request }) => {
  const email = `member-${Date.now()}@example.com`;
  const temporary = await createUser(request, email, "ORG_USER");
  await firstSignIn(page, email, temporary);
  await expect(page.getByRole("heading", { name: "Dashboard" })).toBeVisible();
  const nav = page.getByRole("navigation", { name: "Main" });
  await expect(nav.getByRole("link", { name: "API keys" })).toBeVisible();
  await expect(nav.getByRole("link", { name: "Audit log" })).toHaveCount(0);
  await expectAccessible(page);
  await shot(page, "dashboard-org-user");

  await page.goto("/ui/audit");
  await expect(page.getByRole("heading", { name: "Not allowed" })).toBeVisible();
  await expectAccessible(page);
  await shot(page, "not-allowed");
});
