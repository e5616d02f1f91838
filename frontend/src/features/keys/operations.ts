import { graphql } from "../../gql";

export const KeyFieldsFragment = graphql(`
  fragment KeyFields on VirtualKey {
    id
    alias
    keyDisplay
    teamId
    userId
    orgId
    models
    maxBudget
    softBudget
    budgetDuration
    spend
    rpmLimit
    tpmLimit
    maxParallelRequests
    expiresAt
    blocked
    revoked
    tags
    guardrails
    allowRequestGuardrails
    allowedCacheControls
    createdAt
    lastUsedAt
    team {
      id
      name
    }
  }
`);

export const KeysQuery = graphql(`
  query Keys($first: Int!, $after: String, $search: String, $teamId: ID, $userId: ID, $includeRevoked: Boolean!) {
    keys(
      first: $first
      after: $after
      search: $search
      teamId: $teamId
      userId: $userId
      includeRevoked: $includeRevoked
    ) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        cursor
        node {
          ...KeyFields
        }
      }
    }
  }
`);

export const KeyByIdQuery = graphql(`
  query KeyById($keyId: ID!) {
    key(keyId: $keyId) {
      ...KeyFields
    }
  }
`);

export const KeyFormOptionsQuery = graphql(`
  query KeyFormOptions {
    organizations(first: 50) {
      edges {
        node {
          id
          name
          teams {
            id
            name
            guardrails
          }
        }
      }
    }
    modelGroups {
      name
    }
    gatewaySettings {
      guardrails {
        ...GuardrailChoiceFields
      }
    }
  }
`);

export const KeyUsersQuery = graphql(`
  query KeyUsers {
    users(first: 100) {
      edges {
        node {
          id
          email
        }
      }
    }
  }
`);

export const CreateKeyMutation = graphql(`
  mutation CreateKey($input: CreateKeyInput!) {
    createKey(input: $input) {
      secret
      key {
        ...KeyFields
      }
      errors {
        field
        message
        code
      }
    }
  }
`);

export const UpdateKeyMutation = graphql(`
  mutation UpdateKey($keyId: ID!, $input: UpdateKeyInput!) {
    updateKey(keyId: $keyId, input: $input) {
      key {
        ...KeyFields
      }
      errors {
        field
        message
        code
      }
    }
  }
`);

export const RegenerateKeyMutation = graphql(`
  mutation RegenerateKey($keyId: ID!, $graceSeconds: Int) {
    regenerateKey(keyId: $keyId, graceSeconds: $graceSeconds) {
      secret
      key {
        ...KeyFields
      }
      errors {
        field
        message
        code
      }
    }
  }
`);

export const RevokeKeyMutation = graphql(`
  mutation RevokeKey($keyId: ID!) {
    revokeKey(keyId: $keyId) {
      ...KeyFields
    }
  }
`);

export const SetKeyBlockedMutation = graphql(`
  mutation SetKeyBlocked($keyId: ID!, $blocked: Boolean!) {
    setKeyBlocked(keyId: $keyId, blocked: $blocked) {
      ...KeyFields
    }
  }
`);

export const AdmissionLevelFieldsFragment = graphql(`
  fragment AdmissionLevelFields on AdmissionLevel {
    kind
    ownerId
    model
    rpm {
      limit
      used
      remaining
      resetsAt
    }
    tpm {
      limit
      used
      remaining
      resetsAt
    }
    parallel {
      limit
      inFlight
      remaining
    }
    budget {
      maxBudget
      softBudget
      budgetDuration
      spent
      reserved
      remaining
      periodStart
      resetsAt
    }
  }
`);

export const KeyAdmissionQuery = graphql(`
  query KeyAdmission($keyId: ID!, $model: String, $estimatedTokens: Int!, $maxOutputTokens: Int) {
    keyAdmission(keyId: $keyId, model: $model, estimatedTokens: $estimatedTokens, maxOutputTokens: $maxOutputTokens) {
      keyId
      checkedAt
      levels {
        ...AdmissionLevelFields
      }
      tightest {
        limit
        remaining
        level {
          kind
          ownerId
          model
        }
      }
      dryRun {
        model
        modelGroup
        estimatedTokens
        maxOutputTokens
        reserve
        admitted
        refusal {
          code
          message
          limit
          retryAfterSeconds
          level {
            kind
            ownerId
            model
          }
        }
      }
    }
  }
`);
