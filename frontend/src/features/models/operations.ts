import { graphql } from "../../gql";

export const DeploymentFields = graphql(`
  fragment DeploymentFields on ModelDeployment {
    id
    modelName
    params
    modelInfo
    hasApiKey
    createdAt
    updatedAt
    health {
      healthy
      lastProbeAt
      error
      coolingDownUntil
      inFlight
      latencyMs
    }
  }
`);

export const ModelDeploymentsQuery = graphql(`
  query ModelDeployments($first: Int!, $after: String, $modelName: String) {
    modelDeployments(first: $first, after: $after, modelName: $modelName) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        node {
          ...DeploymentFields
        }
      }
    }
  }
`);

export const CreateModelDeploymentMutation = graphql(`
  mutation CreateModelDeployment($input: CreateModelDeploymentInput!) {
    createModelDeployment(input: $input) {
      deployment {
        ...DeploymentFields
      }
      errors {
        field
        message
        code
      }
    }
  }
`);

export const UpdateModelDeploymentMutation = graphql(`
  mutation UpdateModelDeployment($id: ID!, $input: UpdateModelDeploymentInput!) {
    updateModelDeployment(id: $id, input: $input) {
      deployment {
        ...DeploymentFields
      }
      errors {
        field
        message
        code
      }
    }
  }
`);

export const DeleteModelDeploymentMutation = graphql(`
  mutation DeleteModelDeployment($id: ID!) {
    deleteModelDeployment(id: $id) {
      deletedId
      errors {
        field
        message
        code
      }
    }
  }
`);

export const TestModelDeploymentMutation = graphql(`
  mutation TestModelDeployment($id: ID!) {
    testModelDeployment(id: $id) {
      answer
      latencyMs
      promptTokens
      completionTokens
      error {
        code
        message
        statusCode
      }
      errors {
        field
        message
        code
      }
    }
  }
`);

export const RouterDeploymentsQuery = graphql(`
  query RouterDeployments {
    routerDeployments {
      id
      modelName
      model
      health {
        healthy
        lastProbeAt
        error
        coolingDownUntil
        inFlight
        latencyMs
      }
    }
  }
`);
