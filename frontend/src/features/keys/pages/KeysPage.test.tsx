import { MockedProvider } from "@apollo/client/testing/react";
import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter, Route, Routes } from "react-router";
import { describe, expect, it } from "vitest";

import { key, viewer } from "../../../test/fixtures";
import { ViewerProvider } from "../../auth/viewer";
import { KeyByIdQuery, KeyFormOptionsQuery, KeysQuery, UpdateKeyMutation } from "../operations";
import KeysPage from "./KeysPage";

const emptyPage = {
  request: {
    query: KeysQuery,
    variables: { first: 20, after: null, search: null, teamId: null, userId: null, includeRevoked: false },
  },
  result: {
    data: {
      keys: {
        __typename: "VirtualKeyConnection",
        totalCount: 0,
        pageInfo: { __typename: "PageInfo", hasNextPage: false, endCursor: null },
        edges: [],
      },
    },
  },
};

const options = {
  request: { query: KeyFormOptionsQuery },
  result: {
    data: {
      organizations: { __typename: "OrganizationConnection", edges: [] },
      modelGroups: [{ __typename: "ModelGroup", name: "demo" }],
    },
  },
};

function renderAt(path: string, mocks: unknown[]) {
  return render(
    <MockedProvider mocks={[emptyPage, options, ...(mocks as never[])]}>
      <ViewerProvider viewer={viewer()}>
        <MemoryRouter initialEntries={[path]}>
          <Routes>
            <Route path="/keys/:keyId" element={<KeysPage />} />
            <Route path="/keys" element={<p>List</p>} />
          </Routes>
        </MemoryRouter>
      </ViewerProvider>
    </MockedProvider>,
  );
}

describe("keys page deep link", () => {
  it("opens a key loaded by id even when it is not on the page shown", async () => {
    const linked = { request: { query: KeyByIdQuery, variables: { keyId: "k9" } }, result: { data: { key: key({ id: "k9", alias: "far-away" }) } } };
    renderAt("/keys/k9", [linked]);
    expect(await screen.findByRole("dialog", { name: "Edit far-away" })).toBeInTheDocument();
  });

  it("closes a linked key's dialog once its change is saved, back on the list", async () => {
    const far = key({ id: "k9", alias: "far-away" });
    const linked = { request: { query: KeyByIdQuery, variables: { keyId: "k9" } }, result: { data: { key: far } } };
    const saved = {
      request: { query: UpdateKeyMutation, variables: (v: { keyId: string }) => v.keyId === "k9" },
      result: { data: { updateKey: { __typename: "UpdateKeyPayload", key: { ...far, rpmLimit: 60 }, errors: [] } } },
    };
    renderAt("/keys/k9", [linked, saved]);
    const dialog = await screen.findByRole("dialog", { name: "Edit far-away" });
    await userEvent.type(screen.getByLabelText("Requests / minute"), "60");
    await userEvent.click(screen.getByRole("button", { name: "Save changes" }));
    expect(await screen.findByText("List")).toBeInTheDocument();
    expect(dialog).not.toBeInTheDocument();
  });

  it("says why a linked key cannot be opened", async () => {
    const refused = {
      request: { query: KeyByIdQuery, variables: { keyId: "k9" } },
      result: { errors: [{ message: "You need another role in that organization.", extensions: { code: "FORBIDDEN" } }] },
    };
    renderAt("/keys/k9", [refused]);
    expect(await screen.findByText(/The linked key could not be opened/)).toHaveTextContent("another role");
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
  });
});
