import { MockedProvider } from "@apollo/client/testing/react";
import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";

import { KeyIssue } from "../../../gql/graphql";
import { key } from "../../../test/fixtures";
import { HygieneOrganizationsQuery, KeyHygieneQuery, RevokeKeysMutation } from "../operations";
import KeyHygienePage from "./KeyHygienePage";

const variables = { first: 50, after: null, issues: null, orgId: null, idleDays: 30 };

function flagged(id: string, alias: string, issues: KeyIssue[], extra: Record<string, unknown> = {}) {
  return {
    __typename: "FlaggedKey",
    issues,
    lastActiveAt: "2026-10-01T00:00:00Z",
    blockedOwners: [],
    projectedSpend: null,
    exhaustsAt: null,
    key: key({ id, alias }),
    ...extra,
  };
}

function hygiene(nodes: ReturnType<typeof flagged>[]) {
  return {
    request: { query: KeyHygieneQuery, variables },
    result: {
      data: {
        keyHygiene: {
          __typename: "FlaggedKeyConnection",
          totalCount: nodes.length,
          pageInfo: { __typename: "PageInfo", hasNextPage: false, endCursor: null },
          edges: nodes.map((node) => ({ __typename: "FlaggedKeyEdge", cursor: node.key.id, node })),
        },
      },
    },
  };
}

// The organization filter's options.
const organizations = {
  request: { query: HygieneOrganizationsQuery },
  result: {
    data: {
      organizations: {
        __typename: "OrganizationConnection",
        edges: [{ __typename: "OrganizationEdge", node: { __typename: "Organization", id: "o1", name: "Acme" } }],
      },
    },
  },
};

const rows = [
  flagged("k1", "forever", [KeyIssue.NoExpiry, KeyIssue.AllModels]),
  flagged("k2", "burner", [KeyIssue.BudgetBurn], { projectedSpend: "12.5", exhaustsAt: "2026-12-10T00:00:00Z" }),
];

describe("key hygiene", () => {
  it("lists flagged keys with their issues and burn projection", async () => {
    render(
      <MockedProvider mocks={[organizations, hygiene(rows)]}>
        <KeyHygienePage />
      </MockedProvider>,
    );
    const table = await screen.findByRole("table", { name: "Flagged keys" });
    const forever = within(table).getByRole("row", { name: /forever/ });
    expect(within(forever).getByText("No expiry")).toBeInTheDocument();
    expect(within(forever).getByText("All models")).toBeInTheDocument();
    expect(within(table).getByRole("row", { name: /burner/ })).toHaveTextContent("$12.50 by reset");
    expect(screen.getByRole("button", { name: "Revoke" })).toBeDisabled();
  });

  it("revokes the selected keys only with a reason, and shows the per-key errors of the payload", async () => {
    const user = userEvent.setup();
    render(
      <MockedProvider
        mocks={[
          organizations,
          hygiene(rows),
          {
            request: { query: RevokeKeysMutation, variables: { keyIds: ["k1", "k2"], reason: "stale keys" } },
            result: {
              data: {
                revokeKeys: {
                  __typename: "BulkKeysPayload",
                  keys: [key({ id: "k1", alias: "forever", revoked: true })],
                  errors: [{ __typename: "BulkKeyError", keyId: "k2", field: null, message: "Not allowed on this key.", code: "FORBIDDEN" }],
                },
              },
            },
          },
          hygiene([rows[1] as ReturnType<typeof flagged>]),
        ]}
      >
        <KeyHygienePage />
      </MockedProvider>,
    );
    await screen.findByRole("table", { name: "Flagged keys" });
    await user.click(screen.getByRole("checkbox", { name: "Select every key on this page" }));
    expect(screen.getByText("2 selected")).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Revoke" }));
    const dialog = await screen.findByRole("dialog", { name: "Revoke the selected keys?" });
    expect(dialog).toHaveTextContent("forever, burner");
    await user.click(within(dialog).getByRole("button", { name: "Revoke keys" }));
    const reason = within(dialog).getByLabelText("Reason");
    expect(reason).toHaveAttribute("aria-invalid", "true");
    expect(reason).toHaveAccessibleDescription("Give a reason: it is recorded in the audit log.");
    await user.type(reason, "stale keys");
    await user.click(within(dialog).getByRole("button", { name: "Revoke keys" }));
    expect(await within(dialog).findByText("burner: Not allowed on this key.")).toBeInTheDocument();
    expect(screen.getByText("1 key revoked.")).toBeInTheDocument();
    // The table was fetched again: the revoked key is gone, the failed one stays selected.
    expect(screen.queryByRole("row", { name: /forever/, hidden: true })).not.toBeInTheDocument();
    expect(screen.getByRole("checkbox", { name: "Select burner", hidden: true })).toBeChecked();
  });
});
