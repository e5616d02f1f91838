import { MockedProvider } from "@apollo/client/testing/react";
import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter, Route, Routes } from "react-router";
import { describe, expect, it } from "vitest";

import { GuardrailMode, TeamRole } from "../../../gql/graphql";
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
      gatewaySettings: {
        __typename: "GatewaySettings",
        guardrails: [{ __typename: "GuardrailPolicy", name: "pii-mask", mode: GuardrailMode.PreCall, defaultOn: false }],
      },
    },
  },
};

function renderAt(path: string, mocks: unknown[], who = viewer()) {
  return render(
    <MockedProvider mocks={[emptyPage, options, ...(mocks as never[])]}>
      <ViewerProvider viewer={who}>
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

describe("keys page policy fields", () => {
  const teamKey = key({ id: "k7", alias: "team-key", orgId: "o1", teamId: "t1", userId: "u1" });
  const linked = { request: { query: KeyByIdQuery, variables: { keyId: "k7" } }, result: { data: { key: teamKey } } };

  function saved(check: (input: Record<string, unknown>) => boolean) {
    return {
      request: { query: UpdateKeyMutation, variables: (v: { input: Record<string, unknown> }) => check(v.input) },
      result: { data: { updateKey: { __typename: "UpdateKeyPayload", key: teamKey, errors: [] } } },
    };
  }

  it("lets a team admin set the guardrails of the team's key", async () => {
    const admin = viewer({ teamRoles: [{ teamId: "t1", role: TeamRole.TeamAdmin }] });
    const save = saved((input) => JSON.stringify(input.guardrails) === JSON.stringify(["pii-mask"]));
    renderAt("/keys/k7", [linked, save], admin);
    await screen.findByRole("dialog", { name: "Edit team-key" });
    const picker = await screen.findByRole("group", { name: "Guardrails" });
    await userEvent.click(await within(picker).findByRole("checkbox", { name: /pii-mask/ }));
    await userEvent.click(screen.getByRole("button", { name: "Save changes" }));
    expect(await screen.findByText("List")).toBeInTheDocument();
  });

  it("neither shows nor sends them to a team developer (the API would refuse the change)", async () => {
    const developer = viewer({ teamRoles: [{ teamId: "t1", role: TeamRole.TeamDeveloper }] });
    const save = saved((input) => !("guardrails" in input) && !("allowedCacheControls" in input) && !("allowRequestGuardrails" in input));
    renderAt("/keys/k7", [linked, save], developer);
    await screen.findByRole("dialog", { name: "Edit team-key" });
    expect(screen.queryByRole("group", { name: "Guardrails" })).not.toBeInTheDocument();
    await userEvent.type(screen.getByLabelText("Requests / minute"), "60");
    await userEvent.click(screen.getByRole("button", { name: "Save changes" }));
    expect(await screen.findByText("List")).toBeInTheDocument();
  });
});
