import { graphql } from "../../gql";

export const AccessQuery = graphql(`
  query Access($first: Int!, $after: String, $search: String, $role: PlatformRole) {
    users(first: $first, after: $after, search: $search, role: $role) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        cursor
        node {
          id
          email
          displayName
          platformRole
          blocked
          orgMemberships {
            orgId
            orgName
            role
          }
          teamMemberships {
            teamId
            teamName
            orgId
            role
          }
        }
      }
    }
  }
`);
