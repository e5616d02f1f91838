import { MockedProvider } from "@apollo/client/testing/react";
import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";

import { ViewerProvider } from "../../auth/viewer";
import { TeamRole } from "../../../gql/graphql";
import { viewer } from "../../../test/fixtures";
import { CreatePlaygroundKeyMutation, PlaygroundTeamsQuery } from "../operations";
import PlaygroundPage from "./PlaygroundPage";

const teams = {
  request: { query: PlaygroundTeamsQuery },
  result: {
    data: {
      organizations: {
        __typename: "OrganizationConnection",
        edges: [
          {
            __typename: "OrganizationEdge",
            node: {
              __typename: "Organization",
              id: "o1",
              name: "Acme",
              teams: [
                { __typename: "Team", id: "t1", name: "Research" },
                { __typename: "Team", id: "t2", name: "Sales" },
              ],
            },
          },
        ],
      },
    },
  },
};

const mint = {
  request: { query: CreatePlaygroundKeyMutation, variables: { teamId: "t1", minutes: 15 } },
  result: {
    data: {
      createPlaygroundKey: {
        __typename: "KeySecretPayload",
        secret: "sk-play",
        key: { __typename: "VirtualKey", id: "k9", expiresAt: "2099-01-01T00:00:00Z" },
        errors: [],
      },
    },
  },
};

function chunk(content: string): Uint8Array {
  return new TextEncoder().encode(`data: ${JSON.stringify({ choices: [{ delta: { content } }] })}\n\n`);
}

afterEach(() => vi.unstubAllGlobals());

describe("playground", () => {
  it("mints a key for one of the viewer's teams, streams the answer as it arrives, and Stop aborts", async () => {
    const user = userEvent.setup();
    const fetchMock = vi.fn(async (url: string, init?: RequestInit) => {
      if (url === "/v1/models") return new Response(JSON.stringify({ data: [{ id: "demo" }, { id: "gpt-4o" }] }));
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(chunk("You said: "));
          init?.signal?.addEventListener("abort", () => controller.error(new DOMException("Aborted", "AbortError")));
        },
      });
      return new Response(body);
    });
    vi.stubGlobal("fetch", fetchMock);
    render(
      <MockedProvider mocks={[teams, mint]}>
        <ViewerProvider viewer={viewer({ teamRoles: [{ __typename: "TeamRoleGrant", teamId: "t1", role: TeamRole.TeamDeveloper }] } as never)}>
          <PlaygroundPage />
        </ViewerProvider>
      </MockedProvider>,
    );
    // Only the viewer's own team, and no "No team" choice for a non-admin.
    const team = await screen.findByRole("combobox", { name: "Team" });
    expect(within(team).getAllByRole("option").map((o) => o.textContent)).toEqual(["Acme / Research"]);
    await user.click(screen.getByRole("button", { name: "Start a session" }));
    expect(await screen.findByText(/A key valid until/)).toBeInTheDocument();
    expect(fetchMock).toHaveBeenCalledWith("/v1/models", { headers: { authorization: "Bearer sk-play" } });
    expect(screen.getByRole("combobox", { name: "Model" })).toHaveValue("demo");

    await user.type(screen.getByLabelText("Message"), "hi{Enter}");
    const log = screen.getByRole("log", { name: "Conversation" });
    expect(await within(log).findByText(/You said:/)).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Stop" }));
    expect(await within(log).findByLabelText("Timings")).toHaveTextContent("stopped");
    expect(screen.queryByRole("button", { name: "Stop" })).not.toBeInTheDocument();
    // The secret was never written to storage.
    expect(JSON.stringify({ ...localStorage, ...sessionStorage })).not.toContain("sk-play");
  });
});
