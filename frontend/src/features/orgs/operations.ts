import { graphql } from "../../gql";

export const OrgFieldsFragment = graphql(`
  fragment OrgFields on Organization {
    id
    name
    slug
    maxBudget
    softBudget
    budgetDuration
    spend
    rpmLimit
    tpmLimit
    maxParallelRequests
    models
    blocked
    createdAt
  }
`);

export const OrganizationsQuery = graphql(`
  query Organizations($first: Int!, $after: String) {
    organizations(first: $first, after: $after) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        cursor
        node {
          ...OrgFields
          teams {
            id
          }
        }
      }
    }
  }
`);

export const OrganizationQuery = graphql(`
  query Organization($id: ID!) {
    organization(id: $id) {
      ...OrgFields
    }
  }
`);

export const OrgMembersQuery = graphql(`
  query OrgMembers($orgId: ID!, $first: Int!, $after: String) {
    orgMembers(orgId: $orgId, first: $first, after: $after) {
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
          role
          createdAt
        }
      }
    }
  }
`);

export const CreateOrganizationMutation = graphql(`
  mutation CreateOrganization($name: String!, $limits: LimitsInput) {
    createOrganization(name: $name, limits: $limits) {
      organization {
        ...OrgFields
      }
      errors {
        field
        message
        code
      }
    }
  }
`);

export const UpdateOrganizationMutation = graphql(`
  mutation UpdateOrganization($id: ID!, $name: String, $limits: LimitsInput) {
    updateOrganization(id: $id, name: $name, limits: $limits) {
      organization {
        ...OrgFields
      }
      errors {
        field
        message
        code
      }
    }
  }
`);

export const SetOrganizationBlockedMutation = graphql(`
  mutation SetOrganizationBlocked($id: ID!, $blocked: Boolean!) {
    setOrganizationBlocked(id: $id, blocked: $blocked) {
      ...OrgFields
    }
  }
`);

export const SetOrgMemberMutation = graphql(`
  mutation SetOrgMember($orgId: ID!, $userId: ID!, $role: OrgRole!) {
    setOrgMember(orgId: $orgId, userId: $userId, role: $role) {
      membership {
        orgId
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

export const RemoveOrgMemberMutation = graphql(`
  mutation RemoveOrgMember($orgId: ID!, $userId: ID!) {
    removeOrgMember(orgId: $orgId, userId: $userId) {
      removed
      errors {
        field
        message
        code
      }
    }
  }
`);

/** Accounts to add as members (only platform admins and co-admins may list them). */
export const UserPickerQuery = graphql(`
  query UserPicker($search: String) {
    users(first: 20, search: $search) {
      edges {
        node {
          id
          email
          displayName
        }
      }
    }
  }
`);
