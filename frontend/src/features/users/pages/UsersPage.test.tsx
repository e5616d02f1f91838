import { MockedProvider } from "@apollo/client/testing/react";
import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter } from "react-router";
import { describe, expect, it } from "vitest";

import { ViewerProvider } from "../../auth/viewer";
import { PlatformRole } from "../../../gql/graphql";
import { viewer } from "../../../test/fixtures";
import { CreateUserMutation, SetUserBlockedMutation, SetUserRoleMutation, UsersQuery } from "../operations";
import UsersPage from "./UsersPage";

const ADA = {
  __typename: "User",
  id: "u2",
  email: "ada@example.com",
  displayName: "Ada",
  platformRole: PlatformRole.PlatformAdmin,
  blocked: false,
  mustChangePassword: false,
  mfaEnabled: true,
  lastLoginAt: null,
  createdAt: "2026-11-01T00:00:00Z",
};

const LIST = {
  request: { query: UsersQuery, variables: { first: 20, after: null, search: null, role: null, blocked: null } },
  result: {
    data: {
      users: {
        __typename: "UserConnection",
        totalCount: 1,
        pageInfo: { __typename: "PageInfo", hasNextPage: false, endCursor: "u2" },
        edges: [{ __typename: "UserEdge", cursor: "u2", node: ADA }],
      },
    },
  },
};

function lastAdmin(name: "setUserRole" | "setUserBlocked") {
  return {
    data: {
      [name]: {
        __typename: "UserUpdatePayload",
        user: null,
        errors: [{ __typename: "UserError", field: null, message: "The last platform admin cannot lose the role.", code: "last_admin" }],
      },
    },
  };
}

function renderPage(mocks: unknown[], role: PlatformRole = PlatformRole.PlatformAdmin) {
  return render(
    <MockedProvider mocks={mocks as never}>
      <MemoryRouter>
        <ViewerProvider viewer={viewer({ platformRole: role })}>
          <UsersPage />
        </ViewerProvider>
      </MemoryRouter>
    </MockedProvider>,
  );
}

describe("users", () => {
  it("checks the invitation before sending, puts the API's refusal on the e-mail, then shows the password once", async () => {
    const user = userEvent.setup();
    const taken = {
      request: { query: CreateUserMutation, variables: { email: "ada@example.com", role: PlatformRole.OrgUser, displayName: null } },
      result: {
        data: {
          createUser: {
            __typename: "UserPayload",
            user: null,
            temporaryPassword: null,
            errors: [{ __typename: "UserError", field: "email", message: "A user with this e-mail exists.", code: "conflict" }],
          },
        },
      },
    };
    const created = {
      request: { query: CreateUserMutation, variables: { email: "bob@example.com", role: PlatformRole.OrgUser, displayName: null } },
      result: {
        data: {
          createUser: {
            __typename: "UserPayload",
            user: { ...ADA, id: "u3", email: "bob@example.com", displayName: null, platformRole: PlatformRole.OrgUser, mustChangePassword: true },
            temporaryPassword: "tmp-Password-123456",
            errors: [],
          },
        },
      },
    };
    renderPage([LIST, taken, LIST, created, LIST]);
    await screen.findByRole("table", { name: "Users" });
    await user.click(screen.getByRole("button", { name: "Invite user" }));
    const dialog = screen.getByRole("dialog", { name: "Invite a user" });
    const email = within(dialog).getByLabelText("E-mail");
    await user.click(within(dialog).getByRole("button", { name: "Invite user" }));
    expect(email).toHaveAccessibleDescription("An e-mail address is required.");
    await user.type(email, "ada@");
    await user.click(within(dialog).getByRole("button", { name: "Invite user" }));
    expect(email).toHaveAccessibleDescription("Not an e-mail address.");

    await user.type(email, "example.com");
    await user.click(within(dialog).getByRole("button", { name: "Invite user" }));
    expect(await within(dialog).findByText("A user with this e-mail exists.")).toBeInTheDocument();
    expect(email).toHaveAttribute("aria-invalid", "true");

    await user.clear(email);
    await user.type(email, "bob@example.com");
    await user.click(within(dialog).getByRole("button", { name: "Invite user" }));
    const notice = await screen.findByRole("dialog", { name: "Temporary password" });
    expect(within(notice).getByRole("textbox", { name: "Temporary password" })).toHaveValue("tmp-Password-123456");
    expect(within(notice).getByRole("button", { name: "Copy" })).toBeInTheDocument();
  });

  it("shows a last-admin refusal on the role field and on the block action", async () => {
    const user = userEvent.setup();
    renderPage([
      LIST,
      { request: { query: SetUserRoleMutation, variables: { userId: "u2", role: PlatformRole.OrgUser } }, result: lastAdmin("setUserRole") },
      { request: { query: SetUserBlockedMutation, variables: { userId: "u2", blocked: true } }, result: lastAdmin("setUserBlocked") },
    ]);
    await screen.findByRole("table", { name: "Users" });
    await user.click(screen.getByRole("button", { name: "Actions for ada@example.com" }));
    await user.click(screen.getByRole("menuitem", { name: "Change role" }));
    const dialog = screen.getByRole("dialog", { name: "Role of Ada" });
    const role = within(dialog).getByLabelText("Platform role");
    await user.selectOptions(role, PlatformRole.OrgUser);
    await user.click(within(dialog).getByRole("button", { name: "Change role" }));
    expect(await within(dialog).findByText("The last platform admin cannot lose the role.")).toBeInTheDocument();
    expect(role).toHaveAccessibleDescription("The last platform admin cannot lose the role.");
    await user.click(within(dialog).getByRole("button", { name: "Cancel" }));

    await user.click(screen.getByRole("button", { name: "Actions for ada@example.com" }));
    await user.click(screen.getByRole("menuitem", { name: "Block" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Block Ada: The last platform admin cannot lose the role.");
  });

  it("offers a co-admin no platform admin role to grant", async () => {
    const user = userEvent.setup();
    renderPage([LIST], PlatformRole.PlatformCoAdmin);
    await screen.findByRole("table", { name: "Users" });
    await user.click(screen.getByRole("button", { name: "Invite user" }));
    const options = within(screen.getByLabelText("Platform role")).getAllByRole("option").map((o) => o.textContent);
    expect(options).toEqual(["Organization user", "Platform co-admin"]);
  });
});
