// On a gateway with general_settings.require_mfa_for_admins, an administrator without MFA
// may do nothing before enrolling: the console takes them there and back.
import { expect, test } from "@playwright/test";

import { createUser, expectAccessible, shot, totp } from "./support";

const PASSWORD = "a-long-enough-passphrase-42";

test("an administrator without MFA enrolls before reaching the page asked for", async ({ page, request }) => {
  const email = `enroll-${Date.now()}@example.com`;
  const temporary = await createUser(request, email, "PLATFORM_ADMIN");
  await page.goto("/ui/usage");
  await page.getByRole("textbox", { name: "E-mail" }).fill(email);
  await page.getByRole("textbox", { name: "Password", exact: true }).fill(temporary);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();

  await page.getByRole("textbox", { name: "Current password" }).fill(temporary);
  await page.getByRole("textbox", { name: "New password", exact: true }).fill(PASSWORD);
  await page.getByRole("textbox", { name: "Repeat the new password" }).fill(PASSWORD);
  await page.getByRole("button", { name: "Change password" }).click();

  await expect(page.getByRole("heading", { name: "Set up two-factor sign-in" })).toBeVisible();
  await expect(page).toHaveURL(/\/ui\/mfa-setup\?next=%2Fusage$/);
  await page.getByRole("button", { name: "Set up an authenticator app" }).click();
  const secret = (await page.getByRole("textbox", { name: "Authenticator secret" }).inputValue()).trim();
  await page.getByRole("textbox", { name: "Code from the app" }).fill(totp(secret));
  await page.getByRole("button", { name: "Turn on two-factor sign-in" }).click();
  await expect(page.getByRole("list", { name: "Recovery codes" }).getByRole("listitem").first()).toBeVisible();
  await expectAccessible(page);
  await page.getByRole("button", { name: "I have saved them, continue" }).click();

  await expect(page.getByRole("heading", { name: "Usage" })).toBeVisible();
  await expect(page.getByRole("table", { name: "Request log" }).or(page.getByText("No request in this period matches"))).toBeVisible();
  await shot(page, "usage-after-enrollment");
});
