import { graphql } from "../../gql";

export const PlaygroundTeamsQuery = graphql(`
  query PlaygroundTeams {
    organizations(first: 50) {
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

export const CreatePlaygroundKeyMutation = graphql(`
  mutation CreatePlaygroundKey($teamId: ID, $minutes: Int!) {
    createPlaygroundKey(teamId: $teamId, minutes: $minutes) {
      secret
      key {
        id
        expiresAt
      }
      errors {
        field
        message
        code
      }
    }
  }
`);
