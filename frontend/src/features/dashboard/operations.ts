import { graphql } from "../../gql";

export const DashboardQuery = graphql(`
  query Dashboard($start: Date!, $end: Date!, $startAt: DateTime!, $endAt: DateTime!) {
    spendTotals(start: $start, end: $end) {
      cost
      requests
      promptTokens
      completionTokens
    }
    dailySpend(start: $start, end: $end) {
      label
      cost
      requests
    }
    byModel: spendBreakdown(start: $start, end: $end, by: MODEL, limit: 8) {
      label
      cost
      requests
    }
    byKey: spendBreakdown(start: $start, end: $end, by: KEY, limit: 5) {
      label
      name
      cost
      requests
    }
    byTeam: spendBreakdown(start: $start, end: $end, by: TEAM, limit: 5) {
      label
      name
      cost
      requests
    }
    loggedRequests: requestLogs(first: 1, filter: { start: $startAt, end: $endAt }) {
      totalCount
    }
    failedRequests: requestLogs(first: 1, filter: { start: $startAt, end: $endAt, status: "error" }) {
      totalCount
    }
  }
`);

// Budgets are per key, team and organization; the dashboard calls out those past 80 %.
export const BudgetsQuery = graphql(`
  query DashboardBudgets {
    keys(first: 100, includeRevoked: true) {
      edges {
        node {
          id
          alias
          keyDisplay
          maxBudget
          spend
          revoked
        }
      }
    }
    organizations(first: 50) {
      edges {
        node {
          id
          name
          maxBudget
          spend
          teams {
            id
            name
            maxBudget
            spend
          }
        }
      }
    }
  }
`);
