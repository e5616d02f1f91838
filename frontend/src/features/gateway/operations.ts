import { graphql } from "../../gql";

export const GuardrailFields = graphql(`
  fragment GuardrailFields on GuardrailPolicy {
    name
    guardrail
    mode
    defaultOn
    piiEntities {
      entity
      action
    }
    apiBase
    hasApiKey
    threshold
    source
    scoreThresholds {
      entity
      score
    }
    allowList
    adHocRecognizers {
      name
      supportedEntity
      patterns {
        name
        regex
        score
      }
      denyList
    }
    outputParsePii
    analyzerApiBase
    anonymizerApiBase
    language
    spacyModel
    phoneRegions
    keywords
    patterns
    keywordAction
    onFlagged
    timeout
    unreachableFallback
    streamHold
  }
`);

/** What a key's or a team's guardrail picker needs of each defined policy. */
export const GuardrailChoiceFields = graphql(`
  fragment GuardrailChoiceFields on GuardrailPolicy {
    name
    mode
    defaultOn
  }
`);

export const GuardrailsQuery = graphql(`
  query Guardrails {
    gatewaySettings {
      guardrails {
        ...GuardrailFields
      }
    }
  }
`);

export const SetGuardrailPolicyMutation = graphql(`
  mutation SetGuardrailPolicy($input: GuardrailPolicyInput!) {
    setGuardrailPolicy(input: $input) {
      guardrail {
        ...GuardrailFields
      }
      errors {
        field
        message
        code
      }
    }
  }
`);

export const DeleteGuardrailPolicyMutation = graphql(`
  mutation DeleteGuardrailPolicy($name: String!) {
    deleteGuardrailPolicy(name: $name) {
      deletedName
      errors {
        field
        message
        code
      }
    }
  }
`);

export const RouterFields = graphql(`
  fragment RouterFields on RouterSettings {
    routingStrategy
    numRetries
    timeout
    streamTimeout
    retryAfter
    allowedFails
    cooldownTime
    overridden
  }
`);

export const HealthCheckFields = graphql(`
  fragment HealthCheckFields on HealthCheckSettings {
    enabled
    interval
    timeout
    overridden
  }
`);

export const CacheFields = graphql(`
  fragment CacheFields on CacheSettings {
    enabled
    type
    ttl
    namespace
    maxEntryBytes
    callTypes
    mode
    scope
    chargeHits
    maxSizeBytes
    s3BucketName
    s3RegionName
    s3EndpointUrl
    s3HasCredentials
    overridden
  }
`);

export const GatewaySettingsQuery = graphql(`
  query GatewaySettings {
    gatewaySettings {
      router {
        ...RouterFields
      }
      healthChecks {
        ...HealthCheckFields
      }
      cache {
        ...CacheFields
      }
    }
  }
`);

export const UpdateRouterSettingsMutation = graphql(`
  mutation UpdateRouterSettings($input: RouterSettingsInput!) {
    updateRouterSettings(input: $input) {
      settings {
        ...RouterFields
      }
      errors {
        field
        message
        code
      }
    }
  }
`);

export const UpdateHealthCheckSettingsMutation = graphql(`
  mutation UpdateHealthCheckSettings($input: HealthCheckSettingsInput!) {
    updateHealthCheckSettings(input: $input) {
      settings {
        ...HealthCheckFields
      }
      errors {
        field
        message
        code
      }
    }
  }
`);

export const UpdateCacheSettingsMutation = graphql(`
  mutation UpdateCacheSettings($input: CacheSettingsInput!) {
    updateCacheSettings(input: $input) {
      settings {
        ...CacheFields
      }
      errors {
        field
        message
        code
      }
    }
  }
`);

export const FlushCacheMutation = graphql(`
  mutation FlushCache {
    flushCache {
      deleted
      errors {
        field
        message
        code
      }
    }
  }
`);
