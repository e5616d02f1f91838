import { MockedProvider } from "@apollo/client/testing/react";
import { act, render, screen, waitFor } from "@testing-library/react";
import { MemoryRouter } from "react-router";
import { describe, expect, it, vi } from "vitest";

import { SignInOptionsQuery } from "../operations";
import SignInPage from "./SignInPage";

function options(oidcEnabled: boolean, oidcLabel: string | null = null, passwordEnabled = true) {
  return {
    request: { query: SignInOptionsQuery },
    result: { data: { signInOptions: { __typename: "SignInOptions", oidcEnabled, oidcLabel, passwordEnabled } } },
  };
}

function renderAt(path: string, mock: ReturnType<typeof options>) {
  return render(
    <MockedProvider mocks={[mock]}>
      <MemoryRouter initialEntries={[path]}>
        <SignInPage />
      </MemoryRouter>
    </MockedProvider>,
  );
}

describe("sign-in page", () => {
  it("offers single sign-on when the gateway says it is on, returning to the page asked for", async () => {
    renderAt("/sign-in?next=%2Fkeys%2Fk1", options(true, "Okta"));
    const button = await screen.findByRole("link", { name: "Sign in with Okta" });
    expect(button).toHaveAttribute("href", "/auth/login?next=%2Fui%2Fkeys%2Fk1");
    expect(screen.getByRole("tab", { name: "E-mail and password" })).toBeInTheDocument();
  });

  it("offers no single sign-on when it is off", async () => {
    const off = options(false);
    const answered = vi.fn(() => off.result);
    renderAt("/sign-in", { ...off, result: answered } as never);
    await waitFor(() => expect(answered).toHaveBeenCalled());
    await act(async () => {});
    expect(screen.getByRole("tab", { name: "E-mail and password" })).toBeInTheDocument();
    expect(screen.queryByRole("link", { name: /Sign in with/ })).not.toBeInTheDocument();
  });

  it("leaves out the password form when the gateway refuses passwords", async () => {
    renderAt("/sign-in", options(true, null, false));
    expect(await screen.findByRole("link", { name: "Sign in with single sign-on" })).toHaveAttribute("href", "/auth/login");
    expect(screen.queryByRole("tab", { name: "E-mail and password" })).not.toBeInTheDocument();
    expect(screen.getByRole("tab", { name: "Master key" })).toHaveAttribute("aria-selected", "true");
  });
});
