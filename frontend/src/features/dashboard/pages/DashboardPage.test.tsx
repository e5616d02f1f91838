import { MockedProvider } from "@apollo/client/testing/react";
import { render, screen, within } from "@testing-library/react";
import { MemoryRouter } from "react-router";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { BudgetsQuery, DashboardQuery } from "../operations";
import DashboardPage from "./DashboardPage";

// jsdom has no canvas to draw the chart on; the chart is not what these tests are about.
vi.mock("../components/DailySpendChart", () => ({ DailySpendChart: () => <div>spend chart</div> }));

// A fixed "now" (the period is relative to it) and UTC, so hours are predictable.
const NOW = new Date("2026-03-10T15:30:00Z");

const use = (kind: string, id: string, name: string, spend: string, maxBudget: string, budgetDuration: string | null, resetAt: string | null) => ({
  __typename: "BudgetUse",
  kind,
  id,
  name,
  spend,
  maxBudget,
  budgetDuration,
  resetAt,
});

function budgetsMock(rows: ReturnType<typeof use>[]) {
  return { request: { query: BudgetsQuery }, result: { data: { budgetsNearLimit: rows } } };
}

const noBudgets = budgetsMock([]);

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

function renderAt(path: string, mock: ReturnType<typeof dashboard>, budgets = noBudgets) {
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

  const week = { start: "2026-03-04", end: "2026-03-10", from: "2026-03-04T00:00:00.000Z", until: "2026-03-11T00:00:00.000Z" };

  it("lists the budgets past 80 % as the server orders them, keys linked, with spend of budget and period", async () => {
    renderAt(
      "/?period=7d",
      dashboard(false, week),
      budgetsMock([
        use("TEAM", "t1", "Research", "12", "10", null, null),
        use("KEY", "k1", "billing-service", "9", "10", "1d", "2026-03-11T00:00:00Z"),
        use("USER", "u1", "heavy@example.com", "18", "20", "1mo", null),
        use("ORGANIZATION", "o1", "Acme", "85", "100", "7d", "2026-03-15T00:00:00Z"),
      ]),
    );
    const list = await screen.findByRole("list", { name: "Budgets above 80 %" });
    const rows = within(list).getAllByRole("listitem");
    expect(rows.map((r) => within(r).getByText(/^(Key|User|Team|Organization)$/).textContent)).toEqual([
      "Team",
      "Key",
      "User",
      "Organization",
    ]);
    expect(rows[0]).toHaveTextContent("Research");
    expect(rows[0]).toHaveTextContent("$12.00 of $10.00 (120.0 %)");
    expect(rows[0]).toHaveTextContent("Never resets");
    expect(within(rows[0]!).queryByRole("link")).toBeNull();
    expect(within(rows[1]!).getByRole("link", { name: "billing-service" })).toHaveAttribute("href", "/keys/k1");
    expect(within(rows[1]!).getByRole("meter", { name: "Spend of billing-service" })).toHaveAttribute("aria-valuetext", "90 % used");
    expect(rows[1]).toHaveTextContent("$9.00 of $10.00 (90.0 %)");
    expect(rows[1]).toHaveTextContent("per day, resets 11 Mar 2026, 00:00:00");
    expect(rows[2]).toHaveTextContent("heavy@example.com");
    expect(rows[2]).toHaveTextContent("per month");
    expect(rows[3]).toHaveTextContent("per 7 days, resets 15 Mar 2026");
  });

  it("says so when no budget is past 80 %", async () => {
    renderAt("/?period=7d", dashboard(false, week));
    expect(await screen.findByText("No budget is above 80 %")).toBeInTheDocument();
    expect(screen.queryByRole("list", { name: "Budgets above 80 %" })).toBeNull();
  });

  it("shows the error when the budgets cannot be read", async () => {
    renderAt("/?period=7d", dashboard(false, week), {
      request: { query: BudgetsQuery },
      error: new Error("budgets are unavailable"),
    } as unknown as typeof noBudgets);
    expect(await screen.findByText(/budgets are unavailable/)).toBeInTheDocument();
  });
});
