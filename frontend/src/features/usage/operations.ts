import { graphql } from "../../gql";

// See lib/period.ts for how a period maps to these arguments.
export const UsageQuery = graphql(`
  query Usage($start: Date!, $end: Date!, $from: DateTime!, $until: DateTime!, $hourly: Boolean!, $by: SpendDimension!) {
    dailySpend(start: $start, end: $end) @skip(if: $hourly) {
      label
      cost
      requests
      promptTokens
      completionTokens
    }
    hourlySpend(start: $from, end: $until) @include(if: $hourly) {
      label
      cost
      requests
      promptTokens
      completionTokens
    }
    breakdown: spendBreakdown(start: $start, end: $end, by: $by, limit: 10) @skip(if: $hourly) {
      label
      name
      cost
      requests
      promptTokens
      completionTokens
    }
    recentBreakdown: requestBreakdown(start: $from, end: $until, by: $by, limit: 10) @include(if: $hourly) {
      label
      name
      cost
      requests
      promptTokens
      completionTokens
    }
  }
`);

// The request log table, its detail drawer and the live tail show the same fields.
export const RequestLogFieldsFragment = graphql(`
  fragment RequestLogFields on RequestLog {
    requestId
    keyId
    userId
    teamId
    orgId
    endUser
    modelGroup
    deploymentId
    provider
    callType
    promptTokens
    completionTokens
    cachedTokens
    cost
    latencyMs
    ttftMs
    status
    statusCode
    errorMessage
    tags
    startedAt
  }
`);

export const RequestLogsQuery = graphql(`
  query RequestLogs($first: Int!, $after: String, $filter: RequestLogFilter) {
    requestLogs(first: $first, after: $after, filter: $filter) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        node {
          ...RequestLogFields
        }
      }
    }
  }
`);

export const RequestLogTailQuery = graphql(`
  query RequestLogTail($after: String, $filter: RequestLogFilter, $first: Int!) {
    requestLogTail(after: $after, filter: $filter, first: $first) {
      cursor
      hasMore
      logs {
        ...RequestLogFields
      }
    }
  }
`);

// The teams the viewer can see, for the request log's team filter.
export const RequestLogTeamsQuery = graphql(`
  query RequestLogTeams {
    organizations(first: 100) {
      edges {
        node {
          id
          name
          teams {
            id
            name
          }
        }
      }
    }
  }
`);
