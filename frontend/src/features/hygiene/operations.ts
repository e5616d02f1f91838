import { graphql } from "../../gql";

export const KeyHygieneQuery = graphql(`
  query KeyHygiene($first: Int!, $after: String, $issues: [KeyIssue!], $orgId: ID, $idleDays: Int!) {
    keyHygiene(first: $first, after: $after, issues: $issues, orgId: $orgId, idleDays: $idleDays) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        cursor
        node {
          issues
          lastActiveAt
          blockedOwners
          projectedSpend
          exhaustsAt
          key {
            ...KeyFields
          }
        }
      }
    }
  }
`);

export const BlockKeysMutation = graphql(`
  mutation BlockKeys($keyIds: [ID!]!, $reason: String!) {
    blockKeys(keyIds: $keyIds, reason: $reason) {
      keys {
        ...KeyFields
      }
      errors {
        keyId
        field
        message
        code
      }
    }
  }
`);

export const RevokeKeysMutation = graphql(`
  mutation RevokeKeys($keyIds: [ID!]!, $reason: String!) {
    revokeKeys(keyIds: $keyIds, reason: $reason) {
      keys {
        ...KeyFields
      }
      errors {
        keyId
        field
        message
        code
      }
    }
  }
`);

export const HygieneOrganizationsQuery = graphql(`
  query HygieneOrganizations {
    organizations(first: 50) {
      edges {
        node {
          id
          name
        }
      }
    }
  }
`);
