import { MockedProvider } from "@apollo/client/testing/react";
import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter, Route, Routes } from "react-router";
import { describe, expect, it } from "vitest";

import { ViewerProvider, type Viewer } from "../../auth/viewer";
import { PlatformRole } from "../../../gql/graphql";
import { viewer } from "../../../test/fixtures";
import { CreateOrganizationMutation, OrganizationsQuery } from "../operations";
import OrganizationsPage from "./OrganizationsPage";

function org(id: string, name: string) {
  return {
    __typename: "Organization",
    id,
    name,
    slug: name.toLowerCase(),
    maxBudget: "50",
    softBudget: null,
    budgetDuration: "30d",
    spend: "12.5",
    rpmLimit: 600,
    tpmLimit: null,
    maxParallelRequests: null,
    models: [],
    blocked: false,
    createdAt: "2026-11-01T00:00:00Z",
    teams: [{ __typename: "Team", id: `${id}-t` }],
  };
}

const LIST = {
  request: { query: OrganizationsQuery, variables: { first: 20, after: null } },
  result: {
    data: {
      organizations: {
        __typename: "OrganizationConnection",
        totalCount: 1,
        pageInfo: { __typename: "PageInfo", hasNextPage: false, endCursor: "o1" },
        edges: [{ __typename: "OrganizationEdge", cursor: "o1", node: org("o1", "Acme") }],
      },
    },
  },
};

function renderAs(v: Viewer, mocks: unknown[]) {
  return render(
    <MockedProvider mocks={mocks as never}>
      <MemoryRouter initialEntries={["/orgs"]}>
        <ViewerProvider viewer={v}>
          <Routes>
            <Route path="/orgs" element={<OrganizationsPage />} />
            <Route path="/orgs/:orgId" element={<p>organization page</p>} />
          </Routes>
        </ViewerProvider>
      </MemoryRouter>
    </MockedProvider>,
  );
}

describe("organizations", () => {
  it("lists organizations with spend against budget; an org user cannot create one", async () => {
    renderAs(viewer(), [LIST]);
    const table = await screen.findByRole("table", { name: "Organizations" });
    expect(within(table).getByRole("link", { name: "Acme" })).toHaveAttribute("href", "/orgs/o1");
    expect(within(table).getByRole("meter", { name: "Spend of Acme" })).toHaveAttribute("aria-valuenow", "12.5");
    expect(screen.queryByRole("button", { name: "Create organization" })).not.toBeInTheDocument();
  });

  it("checks the form before sending, then shows the API's refusal on the name", async () => {
    const user = userEvent.setup();
    const refused = {
      request: { query: CreateOrganizationMutation, variables: { name: "Acme", limits: { maxBudget: null, softBudget: null, budgetDuration: null, rpmLimit: null, tpmLimit: null, maxParallelRequests: null, models: [] } } },
      result: {
        data: {
          createOrganization: {
            __typename: "OrganizationPayload",
            organization: null,
            errors: [{ __typename: "UserError", field: "name", message: "An organization named 'Acme' exists.", code: "conflict" }],
          },
        },
      },
    };
    renderAs(viewer({ platformRole: PlatformRole.PlatformCoAdmin }), [LIST, refused, LIST]);
    await user.click(await screen.findByRole("button", { name: "Create organization" }));
    const dialog = screen.getByRole("dialog", { name: "Create an organization" });
    await user.type(within(dialog).getByLabelText("Requests per minute"), "lots");
    await user.click(within(dialog).getByRole("button", { name: "Create organization" }));
    // Nothing was sent: the only mutation mock would answer a valid form.
    expect(within(dialog).getByLabelText("Name")).toHaveAccessibleDescription("A name is required.");
    expect(within(dialog).getByLabelText("Requests per minute")).toHaveAccessibleDescription("A whole number, 0 or more.");

    await user.type(within(dialog).getByLabelText("Name"), "Acme");
    await user.clear(within(dialog).getByLabelText("Requests per minute"));
    await user.click(within(dialog).getByRole("button", { name: "Create organization" }));
    expect(await within(dialog).findByText("An organization named 'Acme' exists.")).toBeInTheDocument();
    expect(within(dialog).getByLabelText("Name")).toHaveAttribute("aria-invalid", "true");
  });
});
