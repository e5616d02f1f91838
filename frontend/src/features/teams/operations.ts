import { graphql } from "../../gql";

export const TeamFieldsFragment = graphql(`
  fragment TeamFields on Team {
    id
    orgId
    name
    maxBudget
    budgetDuration
    spend
    rpmLimit
    tpmLimit
    maxParallelRequests
    models
    blocked
    guardrails
    createdAt
  }
`);

export const TeamsQuery = graphql(`
  query Teams($orgId: ID!, $first: Int!, $after: String) {
    teams(orgId: $orgId, first: $first, after: $after) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        cursor
        node {
          ...TeamFields
        }
      }
    }
  }
`);

export const TeamQuery = graphql(`
  query Team($teamId: ID!) {
    team(teamId: $teamId) {
      ...TeamFields
    }
  }
`);

export const TeamMembersQuery = graphql(`
  query TeamMembers($teamId: ID!, $first: Int!, $after: String) {
    teamMembers(teamId: $teamId, first: $first, after: $after) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        cursor
        node {
          userId
          email
          displayName
          teamRole
          createdAt
        }
      }
    }
  }
`);

export const CreateTeamMutation = graphql(`
  mutation CreateTeam($input: CreateTeamInput!) {
    createTeam(input: $input) {
      team {
        ...TeamFields
      }
      errors {
        field
        message
        code
      }
    }
  }
`);

export const UpdateTeamMutation = graphql(`
  mutation UpdateTeam($teamId: ID!, $name: String, $limits: LimitsInput) {
    updateTeam(teamId: $teamId, name: $name, limits: $limits) {
      team {
        ...TeamFields
      }
      errors {
        field
        message
        code
      }
    }
  }
`);

export const SetTeamBlockedMutation = graphql(`
  mutation SetTeamBlocked($teamId: ID!, $blocked: Boolean!) {
    setTeamBlocked(teamId: $teamId, blocked: $blocked) {
      ...TeamFields
    }
  }
`);

export const SetTeamGuardrailsMutation = graphql(`
  mutation SetTeamGuardrails($teamId: ID!, $guardrails: [String!]!) {
    setTeamGuardrails(teamId: $teamId, guardrails: $guardrails) {
      team {
        ...TeamFields
      }
      errors {
        field
        message
        code
      }
    }
  }
`);

/** The guardrail policies a team may be given (every signed-in caller reads their names). */
export const TeamGuardrailChoicesQuery = graphql(`
  query TeamGuardrailChoices {
    gatewaySettings {
      guardrails {
        ...GuardrailChoiceFields
      }
    }
  }
`);

export const SetTeamMemberMutation = graphql(`
  mutation SetTeamMember($teamId: ID!, $userId: ID!, $role: TeamRole!) {
    setTeamMember(teamId: $teamId, userId: $userId, role: $role) {
      membership {
        teamId
        userId
        role
      }
      errors {
        field
        message
        code
      }
    }
  }
`);

export const RemoveTeamMemberMutation = graphql(`
  mutation RemoveTeamMember($teamId: ID!, $userId: ID!) {
    removeTeamMember(teamId: $teamId, userId: $userId) {
      removed
      errors {
        field
        message
        code
      }
    }
  }
`);

/** Organizations to choose teams from (the viewer's own; 100 covers the picker). */
export const OrgChoicesQuery = graphql(`
  query OrgChoices {
    organizations(first: 100) {
      edges {
        node {
          id
          name
        }
      }
    }
  }
`);
