import { MockedProvider } from "@apollo/client/testing/react";
import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";

import { LoginMutation } from "../operations";
import { PasswordSignInForm } from "./PasswordSignInForm";

function login(totpCode: string | null, result: Record<string, unknown>) {
  return {
    request: { query: LoginMutation, variables: { email: "ada@example.com", password: "correct horse", totpCode } },
    result: {
      data: {
        login: { __typename: "LoginPayload", ok: false, mfaRequired: false, mustChangePassword: false, errors: [], ...result },
      },
    },
  };
}

async function fill(): Promise<void> {
  await userEvent.type(screen.getByLabelText("E-mail"), "ada@example.com");
  await userEvent.type(screen.getByLabelText("Password"), "correct horse");
  await userEvent.click(screen.getByRole("button", { name: "Sign in" }));
}

describe("PasswordSignInForm", () => {
  it("asks for both fields before calling the API", async () => {
    const onSignedIn = vi.fn();
    render(
      <MockedProvider mocks={[]}>
        <PasswordSignInForm onSignedIn={onSignedIn} />
      </MockedProvider>,
    );
    await userEvent.click(screen.getByRole("button", { name: "Sign in" }));
    expect(screen.getByLabelText("E-mail")).toHaveAccessibleDescription("Enter your e-mail address.");
    expect(screen.getByLabelText("Password")).toHaveAccessibleDescription("Enter your password.");
    expect(onSignedIn).not.toHaveBeenCalled();
  });

  it("shows the API's refusal", async () => {
    render(
      <MockedProvider
        mocks={[
          login(null, {
            errors: [{ __typename: "UserError", field: null, message: "Wrong e-mail or password.", code: "invalid_credentials" }],
          }),
        ]}
      >
        <PasswordSignInForm onSignedIn={() => {}} />
      </MockedProvider>,
    );
    await fill();
    expect(await screen.findByRole("alert")).toHaveTextContent("Wrong e-mail or password.");
  });

  it("asks for an MFA or recovery code when the account has MFA, then signs in", async () => {
    const onSignedIn = vi.fn();
    render(
      <MockedProvider mocks={[login(null, { mfaRequired: true }), login("ABCD-EFGH", { ok: true })]}>
        <PasswordSignInForm onSignedIn={onSignedIn} />
      </MockedProvider>,
    );
    await fill();
    const code = await screen.findByLabelText("Authentication code");
    expect(code).toHaveAccessibleDescription(/recovery codes/);
    await userEvent.type(code, "ABCD-EFGH");
    await userEvent.click(screen.getByRole("button", { name: "Verify and sign in" }));
    await vi.waitFor(() => expect(onSignedIn).toHaveBeenCalled());
  });
});
