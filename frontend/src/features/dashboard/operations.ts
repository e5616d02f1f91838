import { graphql } from "../../gql";

// See lib/period.ts for how a period maps to these arguments.
export const DashboardQuery = graphql(`
  query Dashboard($start: Date!, $end: Date!, $from: DateTime!, $until: DateTime!, $hourly: Boolean!) {
    spendTotals(start: $start, end: $end) @skip(if: $hourly) {
      cost
      requests
      promptTokens
      completionTokens
    }
    requestStats(start: $from, end: $until) {
      requests
      failed
      errorRate
      p50LatencyMs
      cost
      promptTokens
      completionTokens
    }
    dailySpend(start: $start, end: $end) @skip(if: $hourly) {
      label
      cost
      requests
    }
    hourlySpend(start: $from, end: $until) @include(if: $hourly) {
      label
      cost
      requests
    }
    byModel: spendBreakdown(start: $start, end: $end, by: MODEL, limit: 8) @skip(if: $hourly) {
      label
      cost
      requests
    }
    byModelRecent: requestBreakdown(start: $from, end: $until, by: MODEL, limit: 8) @include(if: $hourly) {
      label
      cost
      requests
    }
    byKey: spendBreakdown(start: $start, end: $end, by: KEY, limit: 5) @skip(if: $hourly) {
      label
      name
      cost
      requests
    }
    byKeyRecent: requestBreakdown(start: $from, end: $until, by: KEY, limit: 5) @include(if: $hourly) {
      label
      name
      cost
      requests
    }
    byTeam: spendBreakdown(start: $start, end: $end, by: TEAM, limit: 5) @skip(if: $hourly) {
      label
      name
      cost
      requests
    }
    byTeamRecent: requestBreakdown(start: $from, end: $until, by: TEAM, limit: 5) @include(if: $hourly) {
      label
      name
      cost
      requests
    }
  }
`);

// Budgets are per key, user, team and organization; the server lists those past 80 %.
export const BudgetsQuery = graphql(`
  query DashboardBudgets {
    budgetsNearLimit(threshold: 0.8, first: 20) {
      kind
      id
      name
      spend
      maxBudget
      budgetDuration
      resetAt
    }
  }
`);
