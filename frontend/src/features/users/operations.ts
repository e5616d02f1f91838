import { graphql } from "../../gql";

export const UserFieldsFragment = graphql(`
  fragment UserFields on User {
    id
    email
    displayName
    platformRole
    blocked
    mustChangePassword
    mfaEnabled
    lastLoginAt
    createdAt
  }
`);

export const UsersQuery = graphql(`
  query Users($first: Int!, $after: String, $search: String, $role: PlatformRole, $blocked: Boolean) {
    users(first: $first, after: $after, search: $search, role: $role, blocked: $blocked) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        cursor
        node {
          ...UserFields
        }
      }
    }
  }
`);

export const CreateUserMutation = graphql(`
  mutation CreateUser($email: String!, $role: PlatformRole!, $displayName: String) {
    createUser(email: $email, role: $role, displayName: $displayName) {
      user {
        ...UserFields
      }
      temporaryPassword
      errors {
        field
        message
        code
      }
    }
  }
`);

export const ResetPasswordMutation = graphql(`
  mutation ResetPassword($userId: ID!) {
    resetPassword(userId: $userId) {
      user {
        ...UserFields
      }
      temporaryPassword
      errors {
        field
        message
        code
      }
    }
  }
`);

export const ResetMfaMutation = graphql(`
  mutation ResetMfa($userId: ID!) {
    resetMfa(userId: $userId) {
      user {
        ...UserFields
      }
      errors {
        field
        message
        code
      }
    }
  }
`);

export const SetUserRoleMutation = graphql(`
  mutation SetUserRole($userId: ID!, $role: PlatformRole!) {
    setUserRole(userId: $userId, role: $role) {
      user {
        ...UserFields
      }
      errors {
        field
        message
        code
      }
    }
  }
`);

export const SetUserBlockedMutation = graphql(`
  mutation SetUserBlocked($userId: ID!, $blocked: Boolean!) {
    setUserBlocked(userId: $userId, blocked: $blocked) {
      user {
        ...UserFields
      }
      errors {
        field
        message
        code
      }
    }
  }
`);

export const UserLimitsQuery = graphql(`
  query UserLimits($userId: ID!) {
    userLimits(userId: $userId) {
      userId
      email
      maxBudget
      softBudget
      budgetDuration
      spend
      budgetResetAt
      rpmLimit
      tpmLimit
      maxParallelRequests
    }
  }
`);

export const SetUserLimitsMutation = graphql(`
  mutation SetUserLimits($userId: ID!, $limits: LimitsInput!) {
    setUserLimits(userId: $userId, limits: $limits) {
      limits {
        userId
        email
        maxBudget
        softBudget
        budgetDuration
        spend
        budgetResetAt
        rpmLimit
        tpmLimit
        maxParallelRequests
      }
      errors {
        field
        message
        code
      }
    }
  }
`);
