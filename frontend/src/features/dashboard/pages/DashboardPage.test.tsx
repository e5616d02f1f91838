import { MockedProvider } from "@apollo/client/testing/react";
import { render, screen, within } from "@testing-library/react";
import { MemoryRouter } from "react-router";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { BudgetsQuery, DashboardQuery } from "../operations";
import DashboardPage from "./DashboardPage";

// A fixed "now" (the period is relative to it) and UTC, so hours are predictable.
const NOW = new Date("2026-03-10T15:30:00Z");

const budgets = {
  request: { query: BudgetsQuery },
  result: {
    data: {
      keys: { __typename: "VirtualKeyConnection", edges: [] },
      organizations: { __typename: "OrganizationConnection", edges: [] },
    },
  },
};

const totals = (cost: string, requests: number) => ({ __typename: "SpendTotals", cost, requests, promptTokens: 100, completionTokens: 20 });
const point = (label: string, cost: string, requests: number) => ({ __typename: "SpendTotals", label, cost, requests });
const entry = (label: string, name: string | null, cost: string) => ({ __typename: "SpendTotals", label, name, cost, requests: 1 });

const stats = {
  __typename: "RequestStats",
  requests: 8,
  failed: 2,
  errorRate: 0.25,
  p50LatencyMs: 1234,
  cost: "0.75",
  promptTokens: 50,
  completionTokens: 10,
};

function dashboard(hourly: boolean, variables: Record<string, unknown>) {
  return {
    request: { query: DashboardQuery, variables: { ...variables, hourly } },
    result: {
      data: {
        ...(hourly
          ? {
              hourlySpend: [point("2026-03-10T15:00:00Z", "0.75", 8)],
              byModelRecent: [entry("demo", null, "0.75")],
              byKeyRecent: [entry("k2", "recent-key", "0.75")],
              byTeamRecent: [entry("t1", "Search", "0.75")],
            }
          : {
              spendTotals: totals("12.5", 40),
              dailySpend: [point("2026-03-10", "12.5", 40)],
              byModel: [entry("demo", null, "12.5")],
              byKey: [entry("k1", "billing-service", "10")],
              byTeam: [entry("t1", "Search", "12.5")],
            }),
        requestStats: stats,
      },
    },
  };
}

function renderAt(path: string, mock: ReturnType<typeof dashboard>) {
  render(
    <MockedProvider mocks={[mock, budgets]}>
      <MemoryRouter initialEntries={[path]}>
        <DashboardPage />
      </MemoryRouter>
    </MockedProvider>,
  );
}

function card(label: string): HTMLElement {
  return screen.getByText(label, { selector: "dt" }).parentElement!;
}

describe("dashboard", () => {
  let zone: string | undefined;
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(NOW);
    zone = process.env.TZ;
    process.env.TZ = "UTC";
  });
  afterEach(() => {
    vi.useRealTimers();
    if (zone === undefined) delete process.env.TZ;
    else process.env.TZ = zone;
  });

  it("shows the days' totals with the request log's error rate and median latency, and names", async () => {
    renderAt(
      "/?period=7d",
      dashboard(false, { start: "2026-03-04", end: "2026-03-10", from: "2026-03-04T00:00:00.000Z", until: "2026-03-11T00:00:00.000Z" }),
    );
    await screen.findByText("Spend", { selector: "dt" });
    expect(card("Spend")).toHaveTextContent("$12.50");
    expect(card("Requests")).toHaveTextContent("40");
    expect(card("Error rate")).toHaveTextContent("25");
    expect(card("Error rate")).toHaveTextContent("2 failed of 8 logged");
    expect(card("Median latency")).toHaveTextContent("1,234 ms");
    expect(within(screen.getByRole("table", { name: "Top keys" })).getByRole("link", { name: "billing-service" })).toHaveAttribute("href", "/keys/k1");
    expect(within(screen.getByRole("table", { name: "Top teams" })).getByText("Search")).toBeInTheDocument();
    expect(screen.getByRole("heading", { name: "Daily spend" })).toBeInTheDocument();
  });

  it("reads the last 24 local hours from the request log for 24 h", async () => {
    renderAt(
      "/?period=24h",
      dashboard(true, { start: "2026-03-09", end: "2026-03-10", from: "2026-03-09T16:00:00.000Z", until: "2026-03-10T16:00:00.000Z" }),
    );
    await screen.findByText("Spend", { selector: "dt" });
    expect(card("Spend")).toHaveTextContent("$0.75");
    expect(card("Requests")).toHaveTextContent("8");
    expect(screen.getByRole("heading", { name: "Spend per hour" })).toBeInTheDocument();
    // The breakdowns cover the same hours (from the request log), not whole UTC days.
    expect(within(screen.getByRole("table", { name: "Top keys" })).getByRole("link", { name: "recent-key" })).toBeInTheDocument();
  });
});
