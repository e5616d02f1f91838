import { MockedProvider, type MockedProviderProps } from "@apollo/client/testing/react";
import { act, render, screen } from "@testing-library/react";
import { createMemoryRouter, RouterProvider, useLocation } from "react-router";
import { describe, expect, it } from "vitest";

import { reportRefusal, signedInBefore } from "../../lib/credentials";
import { PlatformRole } from "../../gql/graphql";
import { ViewerQuery } from "./operations";
import { RequireSignIn } from "./RequireSignIn";
import { useViewer } from "./viewer";

function SignIn() {
  const location = useLocation();
  const state = location.state as { message?: string } | null;
  return (
    <p>
      sign-in page {location.search} {state?.message}
    </p>
  );
}

function Page() {
  return <p>hello {useViewer().email}</p>;
}

function app(mocks: NonNullable<MockedProviderProps["mocks"]>) {
  const router = createMemoryRouter(
    [
      { path: "/sign-in", element: <SignIn /> },
      { path: "/change-password", element: <p>change password {"page"}</p> },
      { path: "/mfa-setup", element: <p>mfa setup {"page"}</p> },
      { path: "/keys", element: <RequireSignIn><Page /></RequireSignIn> },
    ],
    { initialEntries: ["/keys"] },
  );
  render(
    <MockedProvider mocks={mocks}>
      <RouterProvider router={router} />
    </MockedProvider>,
  );
}

const me = (overrides: Record<string, unknown> = {}) => ({
  request: { query: ViewerQuery },
  result: {
    data: {
      me: {
        __typename: "Viewer",
        kind: "user",
        id: "u1",
        email: "ada@example.com",
        platformRole: PlatformRole.OrgUser,
        mustChangePassword: false,
        mfaSetupRequired: false,
        orgIds: [],
        orgRoles: [],
        teamRoles: [],
        ...overrides,
      },
    },
  },
});

const unauthenticated = {
  request: { query: ViewerQuery },
  result: { errors: [{ message: "Sign in.", extensions: { code: "UNAUTHENTICATED" } }] },
};

describe("RequireSignIn", () => {
  it("renders the page for a signed-in viewer", async () => {
    app([me()]);
    expect(await screen.findByText("hello ada@example.com")).toBeInTheDocument();
  });

  it("sends a stranger to sign in, remembering the page", async () => {
    app([unauthenticated]);
    expect(await screen.findByText(/sign-in page \?next=%2Fkeys/)).toBeInTheDocument();
    expect(screen.queryByText(/session has ended/)).not.toBeInTheDocument();
  });

  it("says the session ended when this browser was signed in", async () => {
    signedInBefore.set(true);
    app([unauthenticated]);
    expect(await screen.findByText(/Your session has ended/)).toBeInTheDocument();
  });

  it("sends a user with a temporary password to change it first", async () => {
    app([me({ mustChangePassword: true })]);
    expect(await screen.findByText("change password page")).toBeInTheDocument();
  });

  it("sends an administrator who must use MFA to enroll first", async () => {
    app([me({ platformRole: PlatformRole.PlatformAdmin, mfaSetupRequired: true })]);
    expect(await screen.findByText("mfa setup page")).toBeInTheDocument();
  });

  it("leaves a page when a later request finds the session ended", async () => {
    app([me()]);
    await screen.findByText("hello ada@example.com");
    act(() => reportRefusal("session-ended"));
    expect(await screen.findByText(/sign-in page \?next=%2Fkeys Your session has ended/)).toBeInTheDocument();
  });

  it("goes to the password change when a later request demands it", async () => {
    app([me()]);
    await screen.findByText("hello ada@example.com");
    act(() => reportRefusal("password-change"));
    expect(await screen.findByText("change password page")).toBeInTheDocument();
  });
});
