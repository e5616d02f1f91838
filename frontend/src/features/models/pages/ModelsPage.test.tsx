import { MockedProvider } from "@apollo/client/testing/react";
import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter } from "react-router";
import { describe, expect, it } from "vitest";

import { PlatformRole } from "../../../gql/graphql";
import { viewer } from "../../../test/fixtures";
import { ViewerProvider } from "../../auth/viewer";
import { ModelDeploymentsQuery, RouterDeploymentsQuery, TestModelDeploymentMutation } from "../operations";
import ModelsPage from "./ModelsPage";

const HEALTH = {
  __typename: "DeploymentHealth",
  healthy: null,
  lastProbeAt: null,
  error: null,
  coolingDownUntil: null,
  inFlight: 0,
  latencyMs: null,
};

function deployment(id: string, modelName: string, params: Record<string, unknown>, health: unknown = HEALTH) {
  return {
    __typename: "ModelDeployment",
    id,
    modelName,
    params,
    modelInfo: {},
    hasApiKey: false,
    createdAt: "2026-12-01T10:00:00Z",
    updatedAt: "2026-12-01T10:00:00Z",
    health,
  };
}

const LIST = {
  request: { query: ModelDeploymentsQuery, variables: { first: 25, after: null, modelName: null } },
  maxUsageCount: Number.POSITIVE_INFINITY,
  result: {
    data: {
      modelDeployments: {
        __typename: "ModelDeploymentConnection",
        totalCount: 3,
        pageInfo: { __typename: "PageInfo", hasNextPage: false, endCursor: "c3" },
        edges: [
          { __typename: "ModelDeploymentEdge", node: deployment("d1", "gpt-4o", { model: "openai/gpt-4o", rpm: 60 }) },
          {
            __typename: "ModelDeploymentEdge",
            node: deployment("d2", "claude", { model: "anthropic/claude-3-5-sonnet" }, {
              ...HEALTH,
              healthy: false,
              error: "401 invalid x-api-key",
              coolingDownUntil: "2026-12-02T10:00:30Z",
            }),
          },
          { __typename: "ModelDeploymentEdge", node: deployment("d3", "gpt-4o", { model: "azure/gpt-4o", api_base: "https://az.example/openai" }) },
        ],
      },
    },
  },
};
const ROUTER = {
  request: { query: RouterDeploymentsQuery },
  maxUsageCount: Number.POSITIVE_INFINITY,
  result: { data: { routerDeployments: [] } },
};
const TEST = {
  request: { query: TestModelDeploymentMutation, variables: { id: "d2" } },
  result: {
    data: {
      testModelDeployment: {
        __typename: "TestModelDeploymentPayload",
        answer: null,
        latencyMs: 812.4,
        promptTokens: null,
        completionTokens: null,
        error: { __typename: "DeploymentTestError", code: "authentication_error", message: "invalid x-api-key", statusCode: 401 },
        errors: [],
      },
    },
  },
};

function renderAs(role: PlatformRole) {
  return render(
    <MockedProvider mocks={[LIST, ROUTER, TEST]}>
      <MemoryRouter>
        <ViewerProvider viewer={viewer({ platformRole: role })}>
          <ModelsPage />
        </ViewerProvider>
      </MemoryRouter>
    </MockedProvider>,
  );
}

describe("ModelsPage", () => {
  it("groups the page's deployments by model name with their health", async () => {
    renderAs(PlatformRole.PlatformAdmin);
    const gpt = await screen.findByRole("region", { name: "Model gpt-4o" });
    expect(within(gpt).getAllByRole("row")).toHaveLength(3);
    expect(gpt).toHaveTextContent("openai/gpt-4o");
    expect(gpt).toHaveTextContent("azure/gpt-4o");
    const claude = screen.getByRole("region", { name: "Model claude" });
    expect(claude).toHaveTextContent(/Cooling down until/);
    expect(claude).toHaveTextContent("401 invalid x-api-key");
  });

  it("runs a test and shows the failure with its latency", async () => {
    renderAs(PlatformRole.PlatformAdmin);
    await userEvent.click(await screen.findByRole("button", { name: "Test anthropic/claude-3-5-sonnet of claude" }));
    const dialog = await screen.findByRole("dialog", { name: "Test of claude" });
    expect(await within(dialog).findByText("Failed: authentication_error (HTTP 401)")).toBeInTheDocument();
    expect(dialog).toHaveTextContent("812 ms");
    expect(dialog).toHaveTextContent("invalid x-api-key");
  });

  it("is read only for a co-admin", async () => {
    renderAs(PlatformRole.PlatformCoAdmin);
    await screen.findByRole("region", { name: "Model gpt-4o" });
    expect(screen.queryByRole("button", { name: "Add deployment" })).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: /^(Test|Edit|Delete) / })).not.toBeInTheDocument();
    expect(screen.getByText(/^Read only/)).toBeInTheDocument();
  });
});
