import { graphql } from "../../gql";

export const EndUsersQuery = graphql(`
  query EndUsers($first: Int!, $after: String, $search: String) {
    endUsers(first: $first, after: $after, search: $search) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        cursor
        node {
          id
          externalId
          maxBudget
          budgetDuration
          spend
          budgetResetAt
          blocked
          createdAt
        }
      }
    }
  }
`);

export const SetEndUserBudgetMutation = graphql(`
  mutation SetEndUserBudget($externalId: String!, $maxBudget: Decimal, $budgetDuration: String) {
    setEndUserBudget(externalId: $externalId, maxBudget: $maxBudget, budgetDuration: $budgetDuration) {
      endUser {
        id
        externalId
        maxBudget
        budgetDuration
        spend
        budgetResetAt
        blocked
      }
      errors {
        field
        message
        code
      }
    }
  }
`);

export const SetEndUserBlockedMutation = graphql(`
  mutation SetEndUserBlocked($externalId: String!, $blocked: Boolean!) {
    setEndUserBlocked(externalId: $externalId, blocked: $blocked) {
      endUser {
        id
        externalId
        blocked
      }
      errors {
        field
        message
        code
      }
    }
  }
`);
