import { MockedProvider } from "@apollo/client/testing/react";
import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter } from "react-router";
import { describe, expect, it } from "vitest";

import { ViewerProvider } from "../../auth/viewer";
import { PlatformRole } from "../../../gql/graphql";
import { viewer } from "../../../test/fixtures";
import { EndUsersQuery, SetEndUserBudgetMutation } from "../operations";
import EndUsersPage from "./EndUsersPage";

const NODE = {
  __typename: "EndUser",
  id: "e1",
  externalId: "customer-7",
  maxBudget: null,
  budgetDuration: null,
  spend: "0.25",
  budgetResetAt: null,
  blocked: false,
  createdAt: "2026-11-01T00:00:00Z",
};
const LIST = {
  request: { query: EndUsersQuery, variables: { first: 20, after: null, search: null } },
  result: {
    data: {
      endUsers: {
        __typename: "EndUserConnection",
        totalCount: 1,
        pageInfo: { __typename: "PageInfo", hasNextPage: false, endCursor: "e1" },
        edges: [{ __typename: "EndUserEdge", cursor: "e1", node: NODE }],
      },
    },
  },
};

function renderAs(role: PlatformRole, mocks: unknown[]) {
  return render(
    <MockedProvider mocks={mocks as never}>
      <MemoryRouter>
        <ViewerProvider viewer={viewer({ platformRole: role })}>
          <EndUsersPage />
        </ViewerProvider>
      </MemoryRouter>
    </MockedProvider>,
  );
}

describe("end users", () => {
  it("checks a budget before sending and shows the API's refusal on the budget", async () => {
    const user = userEvent.setup();
    const refused = {
      request: { query: SetEndUserBudgetMutation, variables: { externalId: "customer-7", maxBudget: "1000000000", budgetDuration: null } },
      result: {
        data: {
          setEndUserBudget: {
            __typename: "EndUserPayload",
            endUser: null,
            errors: [{ __typename: "UserError", field: "maxBudget", message: "maxBudget must be between 0 and 1000000", code: "invalid" }],
          },
        },
      },
    };
    renderAs(PlatformRole.PlatformAdmin, [LIST, refused]);
    await user.click(await screen.findByRole("button", { name: "Budget of customer-7" }));
    const dialog = screen.getByRole("dialog", { name: "Budget of customer-7" });
    const budget = within(dialog).getByLabelText("Budget (USD)");
    const period = within(dialog).getByLabelText("Budget period");
    await user.type(budget, "-5");
    await user.click(within(dialog).getByRole("button", { name: "Save budget" }));
    expect(budget).toHaveAccessibleDescription("A non-negative amount in dollars, like 25 or 12.50.");

    await user.type(period, "30d");
    await user.clear(budget);
    await user.click(within(dialog).getByRole("button", { name: "Save budget" }));
    expect(period).toHaveAccessibleDescription("A budget period needs a budget.");

    // An amount the form accepts but the API refuses: the refusal lands on the budget field.
    await user.clear(period);
    await user.type(budget, "1000000000");
    await user.click(within(dialog).getByRole("button", { name: "Save budget" }));
    expect(await within(dialog).findByText("maxBudget must be between 0 and 1000000")).toBeInTheDocument();
    expect(budget).toHaveAttribute("aria-invalid", "true");
  });

  it("shows a co-admin end users without budget or block controls", async () => {
    renderAs(PlatformRole.PlatformCoAdmin, [LIST]);
    const row = within(await screen.findByRole("table", { name: "End users" })).getByRole("row", { name: /customer-7/ });
    expect(within(row).queryByRole("button")).not.toBeInTheDocument();
    expect(screen.getByText("Only platform admins change end users' budgets or block them.")).toBeInTheDocument();
  });
});
