import { MockedProvider } from "@apollo/client/testing/react";
import { render, screen, waitForElementToBeRemoved, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter, Route, Routes } from "react-router";
import { describe, expect, it } from "vitest";

import { GuardrailMode, OrgRole, TeamRole } from "../../../gql/graphql";
import { viewer } from "../../../test/fixtures";
import { ViewerProvider, type Viewer } from "../../auth/viewer";
import { OrganizationQuery } from "../../orgs/operations";
import { SetTeamGuardrailsMutation, TeamGuardrailChoicesQuery, TeamMembersQuery, TeamQuery } from "../operations";
import TeamPage from "./TeamPage";

function team(guardrails: string[]) {
  return {
    __typename: "Team",
    id: "t1",
    orgId: "o1",
    name: "Search",
    maxBudget: null,
    budgetDuration: null,
    spend: "0",
    rpmLimit: null,
    tpmLimit: null,
    maxParallelRequests: null,
    models: [],
    blocked: false,
    guardrails,
    createdAt: "2026-11-01T00:00:00Z",
  };
}

const ORG = {
  request: { query: OrganizationQuery, variables: { id: "o1" } },
  result: {
    data: {
      organization: {
        __typename: "Organization",
        id: "o1",
        name: "Acme",
        slug: "acme",
        maxBudget: null,
        softBudget: null,
        budgetDuration: null,
        spend: "0",
        rpmLimit: null,
        tpmLimit: null,
        maxParallelRequests: null,
        models: [],
        blocked: false,
        createdAt: "2026-11-01T00:00:00Z",
      },
    },
  },
};

const MEMBERS = {
  request: { query: TeamMembersQuery, variables: { teamId: "t1", first: 20, after: null } },
  result: {
    data: {
      teamMembers: {
        __typename: "TeamMembershipConnection",
        totalCount: 0,
        pageInfo: { __typename: "PageInfo", hasNextPage: false, endCursor: null },
        edges: [],
      },
    },
  },
};

const CHOICES = {
  request: { query: TeamGuardrailChoicesQuery },
  result: {
    data: {
      gatewaySettings: {
        __typename: "GatewaySettings",
        guardrails: [
          { __typename: "GuardrailPolicy", name: "pii-mask", mode: GuardrailMode.PreCall, defaultOn: false },
          { __typename: "GuardrailPolicy", name: "audit-all", mode: GuardrailMode.LoggingOnly, defaultOn: true },
        ],
      },
    },
  },
};

function teamQuery(guardrails: string[]) {
  return { request: { query: TeamQuery, variables: { teamId: "t1" } }, result: { data: { team: team(guardrails) } } };
}

function renderAs(who: Viewer, mocks: unknown[]) {
  return render(
    <MockedProvider mocks={[ORG, MEMBERS, CHOICES, ...(mocks as never[])]}>
      <ViewerProvider viewer={who}>
        <MemoryRouter initialEntries={["/orgs/o1/teams/t1"]}>
          <Routes>
            <Route path="/orgs/:orgId/teams/:teamId" element={<TeamPage />} />
          </Routes>
        </MemoryRouter>
      </ViewerProvider>
    </MockedProvider>,
  );
}

const orgAdmin = viewer({ orgIds: ["o1"], orgRoles: [{ orgId: "o1", role: OrgRole.OrgAdmin }] });

describe("team guardrails", () => {
  it("shows the team's guardrails and the default ones; a team admin may not change them", async () => {
    const teamAdmin = viewer({ teamRoles: [{ teamId: "t1", role: TeamRole.TeamAdmin }] });
    renderAs(teamAdmin, [teamQuery(["pii-mask"])]);
    const card = await screen.findByRole("region", { name: "Guardrails" });
    expect(within(card).getByRole("list", { name: "Team guardrails" })).toHaveTextContent("pii-mask");
    expect(await within(card).findByRole("list", { name: "Default guardrails" })).toHaveTextContent("audit-all");
    expect(within(card).queryByRole("button", { name: "Edit guardrails" })).not.toBeInTheDocument();
  });

  it("lets an org admin set them, showing the API's refusal on the picker", async () => {
    const refused = {
      request: { query: SetTeamGuardrailsMutation, variables: { teamId: "t1", guardrails: ["pii-mask"] } },
      result: {
        data: {
          setTeamGuardrails: {
            __typename: "TeamPayload",
            team: null,
            errors: [{ __typename: "UserError", field: "guardrails", message: "guardrail names are 1-64 letters", code: "invalid" }],
          },
        },
      },
    };
    const saved = {
      request: { query: SetTeamGuardrailsMutation, variables: { teamId: "t1", guardrails: ["pii-mask"] } },
      result: { data: { setTeamGuardrails: { __typename: "TeamPayload", team: team(["pii-mask"]), errors: [] } } },
    };
    renderAs(orgAdmin, [teamQuery([]), refused, saved]);
    await userEvent.click(await screen.findByRole("button", { name: "Edit guardrails" }));
    const dialog = screen.getByRole("dialog", { name: "Guardrails of Search" });
    const picker = within(dialog).getByRole("group", { name: "Guardrails" });
    expect(within(picker).getByRole("checkbox", { name: /audit-all/ })).toBeDisabled();
    await userEvent.click(within(picker).getByRole("checkbox", { name: /pii-mask/ }));
    await userEvent.click(within(dialog).getByRole("button", { name: "Save guardrails" }));
    expect(await within(dialog).findByText("guardrail names are 1-64 letters")).toBeInTheDocument();
    expect(picker).toHaveAccessibleDescription("guardrail names are 1-64 letters");
    // Tried again (the API accepts it this time): the dialog closes and the card shows the new list.
    await userEvent.click(within(dialog).getByRole("button", { name: "Save guardrails" }));
    await waitForElementToBeRemoved(dialog);
    expect(screen.getByRole("list", { name: "Team guardrails" })).toHaveTextContent("pii-mask");
  });

  it("shows a refusal of the whole call above the form", async () => {
    const forbidden = {
      request: { query: SetTeamGuardrailsMutation, variables: { teamId: "t1", guardrails: ["pii-mask"] } },
      result: { errors: [{ message: "Changing this needs the org_owner or org_admin role.", extensions: { code: "FORBIDDEN" } }] },
    };
    renderAs(orgAdmin, [teamQuery([]), forbidden]);
    await userEvent.click(await screen.findByRole("button", { name: "Edit guardrails" }));
    const dialog = screen.getByRole("dialog", { name: "Guardrails of Search" });
    await userEvent.click(within(dialog).getByRole("checkbox", { name: /pii-mask/ }));
    await userEvent.click(within(dialog).getByRole("button", { name: "Save guardrails" }));
    expect(await within(dialog).findByRole("alert")).toHaveTextContent("needs the org_owner or org_admin role");
  });
});
