import { MockedProvider } from "@apollo/client/testing/react";
import { render, screen, within } from "@testing-library/react";
import { MemoryRouter } from "react-router";
import { describe, expect, it } from "vitest";

import { ViewerProvider } from "../../auth/viewer";
import { OrgRole, PlatformRole, TeamRole } from "../../../gql/graphql";
import { viewer } from "../../../test/fixtures";
import { AccessQuery } from "../operations";
import AccessPage from "./AccessPage";

const LIST = {
  request: { query: AccessQuery, variables: { first: 20, after: null, search: null, role: null } },
  result: {
    data: {
      users: {
        __typename: "UserConnection",
        totalCount: 1,
        pageInfo: { __typename: "PageInfo", hasNextPage: false, endCursor: "u2" },
        edges: [
          {
            __typename: "UserEdge",
            cursor: "u2",
            node: {
              __typename: "User",
              id: "u2",
              email: "ada@example.com",
              displayName: null,
              platformRole: PlatformRole.OrgUser,
              blocked: false,
              orgMemberships: [{ __typename: "UserOrgMembership", orgId: "o1", orgName: "Acme", role: OrgRole.OrgAdmin }],
              teamMemberships: [{ __typename: "UserTeamMembership", teamId: "t1", teamName: "Search", orgId: "o1", role: TeamRole.TeamViewer }],
            },
          },
        ],
      },
    },
  },
};

function renderAs(role: PlatformRole) {
  return render(
    <MockedProvider mocks={[LIST]}>
      <MemoryRouter>
        <ViewerProvider viewer={viewer({ platformRole: role })}>
          <AccessPage />
        </ViewerProvider>
      </MemoryRouter>
    </MockedProvider>,
  );
}

describe("access control", () => {
  it("lets a platform admin change platform, organization and team roles", async () => {
    renderAs(PlatformRole.PlatformAdmin);
    const row = within(await screen.findByRole("table", { name: "Accounts and their access" })).getByRole("row", { name: /ada@example.com/ });
    expect(within(row).getByRole("combobox", { name: "Platform role of ada@example.com" })).toHaveValue(PlatformRole.OrgUser);
    expect(within(row).getByRole("combobox", { name: "Role of ada@example.com in organization Acme" })).toHaveValue(OrgRole.OrgAdmin);
    expect(within(row).getByRole("combobox", { name: "Role of ada@example.com in team Search" })).toHaveValue(TeamRole.TeamViewer);
    expect(within(row).getByRole("button", { name: "Remove ada@example.com from team Search" })).toBeInTheDocument();
  });

  it("shows a co-admin the same access read-only", async () => {
    renderAs(PlatformRole.PlatformCoAdmin);
    const row = within(await screen.findByRole("table", { name: "Accounts and their access" })).getByRole("row", { name: /ada@example.com/ });
    expect(row).toHaveTextContent("Organization user");
    expect(within(row).getByRole("link", { name: "Acme" })).toHaveAttribute("href", "/orgs/o1");
    expect(row).toHaveTextContent("Admin");
    expect(row).toHaveTextContent("Viewer");
    expect(within(row).queryByRole("combobox")).not.toBeInTheDocument();
    expect(within(row).queryByRole("button")).not.toBeInTheDocument();
    expect(screen.getByText("You can read access here; only platform admins change it.")).toBeInTheDocument();
  });
});
