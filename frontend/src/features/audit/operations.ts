import { graphql } from "../../gql";

export const AuditLogQuery = graphql(`
  query AuditLog($first: Int!, $after: String, $action: String, $actorId: String, $targetType: String, $targetId: String, $start: DateTime, $end: DateTime) {
    auditLog(first: $first, after: $after, action: $action, actorId: $actorId, targetType: $targetType, targetId: $targetId, start: $start, end: $end) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        node {
          id
          actorType
          actorId
          action
          targetType
          targetId
          orgId
          before
          after
          requestId
          reason
          createdAt
        }
      }
    }
  }
`);
