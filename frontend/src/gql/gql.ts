/* eslint-disable */
import * as types from './graphql';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  query AuditLog($first: Int!, $after: String, $action: String, $actorId: String, $targetType: String, $start: DateTime, $end: DateTime) {\n    auditLog(first: $first, after: $after, action: $action, actorId: $actorId, targetType: $targetType, start: $start, end: $end) {\n      totalCount\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      edges {\n        node {\n          id\n          actorType\n          actorId\n          action\n          targetType\n          targetId\n          orgId\n          before\n          after\n          requestId\n          createdAt\n        }\n      }\n    }\n  }\n": typeof types.AuditLogDocument,
    "\n  query Viewer {\n    me {\n      kind\n      id\n      email\n      platformRole\n      mustChangePassword\n      mfaSetupRequired\n      orgIds\n      orgRoles {\n        orgId\n        role\n      }\n      teamRoles {\n        teamId\n        role\n      }\n    }\n  }\n": typeof types.ViewerDocument,
    "\n  mutation Login($email: String!, $password: String!, $totpCode: String) {\n    login(email: $email, password: $password, totpCode: $totpCode) {\n      ok\n      mfaRequired\n      mustChangePassword\n      errors {\n        field\n        message\n        code\n      }\n    }\n  }\n": typeof types.LoginDocument,
    "\n  mutation Logout {\n    logout\n  }\n": typeof types.LogoutDocument,
    "\n  mutation ChangePassword($current: String!, $new: String!) {\n    changePassword(current: $current, new: $new) {\n      field\n      message\n      code\n    }\n  }\n": typeof types.ChangePasswordDocument,
    "\n  mutation StartMfaEnrollment {\n    startMfaEnrollment {\n      otpauthUri\n      secret\n    }\n  }\n": typeof types.StartMfaEnrollmentDocument,
    "\n  mutation ConfirmMfaEnrollment($code: String!) {\n    confirmMfaEnrollment(code: $code)\n  }\n": typeof types.ConfirmMfaEnrollmentDocument,
    "\n  query Dashboard($start: Date!, $end: Date!, $startAt: DateTime!, $endAt: DateTime!) {\n    spendTotals(start: $start, end: $end) {\n      cost\n      requests\n      promptTokens\n      completionTokens\n    }\n    dailySpend(start: $start, end: $end) {\n      label\n      cost\n      requests\n    }\n    byModel: spendBreakdown(start: $start, end: $end, by: MODEL, limit: 8) {\n      label\n      cost\n      requests\n    }\n    byKey: spendBreakdown(start: $start, end: $end, by: KEY, limit: 5) {\n      label\n      cost\n      requests\n    }\n    byTeam: spendBreakdown(start: $start, end: $end, by: TEAM, limit: 5) {\n      label\n      cost\n      requests\n    }\n    loggedRequests: requestLogs(first: 1, filter: { start: $startAt, end: $endAt }) {\n      totalCount\n    }\n    failedRequests: requestLogs(first: 1, filter: { start: $startAt, end: $endAt, status: \"error\" }) {\n      totalCount\n    }\n  }\n": typeof types.DashboardDocument,
    "\n  query DashboardBudgets {\n    keys(first: 100) {\n      edges {\n        node {\n          id\n          alias\n          keyDisplay\n          maxBudget\n          spend\n        }\n      }\n    }\n    organizations(first: 50) {\n      edges {\n        node {\n          id\n          name\n          maxBudget\n          spend\n          teams {\n            id\n            name\n            maxBudget\n            spend\n          }\n        }\n      }\n    }\n  }\n": typeof types.DashboardBudgetsDocument,
    "\n  fragment KeyFields on VirtualKey {\n    id\n    alias\n    keyDisplay\n    teamId\n    userId\n    orgId\n    models\n    maxBudget\n    softBudget\n    budgetDuration\n    spend\n    rpmLimit\n    tpmLimit\n    maxParallelRequests\n    expiresAt\n    blocked\n    revoked\n    tags\n    createdAt\n    lastUsedAt\n    team {\n      id\n      name\n    }\n  }\n": typeof types.KeyFieldsFragmentDoc,
    "\n  query Keys($first: Int!, $after: String, $search: String, $teamId: ID, $includeRevoked: Boolean!) {\n    keys(first: $first, after: $after, search: $search, teamId: $teamId, includeRevoked: $includeRevoked) {\n      totalCount\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      edges {\n        cursor\n        node {\n          ...KeyFields\n        }\n      }\n    }\n  }\n": typeof types.KeysDocument,
    "\n  query KeyFormOptions {\n    organizations(first: 50) {\n      edges {\n        node {\n          id\n          name\n          teams {\n            id\n            name\n          }\n        }\n      }\n    }\n    modelDeployments(first: 100) {\n      edges {\n        node {\n          id\n          modelName\n        }\n      }\n    }\n  }\n": typeof types.KeyFormOptionsDocument,
    "\n  query KeyUsers {\n    users(first: 100) {\n      edges {\n        node {\n          id\n          email\n        }\n      }\n    }\n  }\n": typeof types.KeyUsersDocument,
    "\n  mutation CreateKey($input: CreateKeyInput!) {\n    createKey(input: $input) {\n      secret\n      key {\n        ...KeyFields\n      }\n      errors {\n        field\n        message\n        code\n      }\n    }\n  }\n": typeof types.CreateKeyDocument,
    "\n  mutation UpdateKey($keyId: ID!, $input: UpdateKeyInput!) {\n    updateKey(keyId: $keyId, input: $input) {\n      key {\n        ...KeyFields\n      }\n      errors {\n        field\n        message\n        code\n      }\n    }\n  }\n": typeof types.UpdateKeyDocument,
    "\n  mutation RegenerateKey($keyId: ID!, $graceSeconds: Int) {\n    regenerateKey(keyId: $keyId, graceSeconds: $graceSeconds) {\n      secret\n      key {\n        ...KeyFields\n      }\n      errors {\n        field\n        message\n        code\n      }\n    }\n  }\n": typeof types.RegenerateKeyDocument,
    "\n  mutation RevokeKey($keyId: ID!) {\n    revokeKey(keyId: $keyId) {\n      ...KeyFields\n    }\n  }\n": typeof types.RevokeKeyDocument,
    "\n  mutation SetKeyBlocked($keyId: ID!, $blocked: Boolean!) {\n    setKeyBlocked(keyId: $keyId, blocked: $blocked) {\n      ...KeyFields\n    }\n  }\n": typeof types.SetKeyBlockedDocument,
    "\n  query Usage($start: Date!, $end: Date!, $by: SpendDimension!) {\n    dailySpend(start: $start, end: $end) {\n      label\n      cost\n      requests\n      promptTokens\n      completionTokens\n    }\n    breakdown: spendBreakdown(start: $start, end: $end, by: $by, limit: 10) {\n      label\n      cost\n      requests\n      promptTokens\n      completionTokens\n    }\n  }\n": typeof types.UsageDocument,
    "\n  query RequestLogs($first: Int!, $after: String, $filter: RequestLogFilter) {\n    requestLogs(first: $first, after: $after, filter: $filter) {\n      totalCount\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      edges {\n        node {\n          requestId\n          keyId\n          userId\n          teamId\n          orgId\n          endUser\n          modelGroup\n          deploymentId\n          provider\n          callType\n          promptTokens\n          completionTokens\n          cachedTokens\n          cost\n          latencyMs\n          ttftMs\n          status\n          statusCode\n          tags\n          startedAt\n        }\n      }\n    }\n  }\n": typeof types.RequestLogsDocument,
};
const documents: Documents = {
    "\n  query AuditLog($first: Int!, $after: String, $action: String, $actorId: String, $targetType: String, $start: DateTime, $end: DateTime) {\n    auditLog(first: $first, after: $after, action: $action, actorId: $actorId, targetType: $targetType, start: $start, end: $end) {\n      totalCount\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      edges {\n        node {\n          id\n          actorType\n          actorId\n          action\n          targetType\n          targetId\n          orgId\n          before\n          after\n          requestId\n          createdAt\n        }\n      }\n    }\n  }\n": types.AuditLogDocument,
    "\n  query Viewer {\n    me {\n      kind\n      id\n      email\n      platformRole\n      mustChangePassword\n      mfaSetupRequired\n      orgIds\n      orgRoles {\n        orgId\n        role\n      }\n      teamRoles {\n        teamId\n        role\n      }\n    }\n  }\n": types.ViewerDocument,
    "\n  mutation Login($email: String!, $password: String!, $totpCode: String) {\n    login(email: $email, password: $password, totpCode: $totpCode) {\n      ok\n      mfaRequired\n      mustChangePassword\n      errors {\n        field\n        message\n        code\n      }\n    }\n  }\n": types.LoginDocument,
    "\n  mutation Logout {\n    logout\n  }\n": types.LogoutDocument,
    "\n  mutation ChangePassword($current: String!, $new: String!) {\n    changePassword(current: $current, new: $new) {\n      field\n      message\n      code\n    }\n  }\n": types.ChangePasswordDocument,
    "\n  mutation StartMfaEnrollment {\n    startMfaEnrollment {\n      otpauthUri\n      secret\n    }\n  }\n": types.StartMfaEnrollmentDocument,
    "\n  mutation ConfirmMfaEnrollment($code: String!) {\n    confirmMfaEnrollment(code: $code)\n  }\n": types.ConfirmMfaEnrollmentDocument,
    "\n  query Dashboard($start: Date!, $end: Date!, $startAt: DateTime!, $endAt: DateTime!) {\n    spendTotals(start: $start, end: $end) {\n      cost\n      requests\n      promptTokens\n      completionTokens\n    }\n    dailySpend(start: $start, end: $end) {\n      label\n      cost\n      requests\n    }\n    byModel: spendBreakdown(start: $start, end: $end, by: MODEL, limit: 8) {\n      label\n      cost\n      requests\n    }\n    byKey: spendBreakdown(start: $start, end: $end, by: KEY, limit: 5) {\n      label\n      cost\n      requests\n    }\n    byTeam: spendBreakdown(start: $start, end: $end, by: TEAM, limit: 5) {\n      label\n      cost\n      requests\n    }\n    loggedRequests: requestLogs(first: 1, filter: { start: $startAt, end: $endAt }) {\n      totalCount\n    }\n    failedRequests: requestLogs(first: 1, filter: { start: $startAt, end: $endAt, status: \"error\" }) {\n      totalCount\n    }\n  }\n": types.DashboardDocument,
    "\n  query DashboardBudgets {\n    keys(first: 100) {\n      edges {\n        node {\n          id\n          alias\n          keyDisplay\n          maxBudget\n          spend\n        }\n      }\n    }\n    organizations(first: 50) {\n      edges {\n        node {\n          id\n          name\n          maxBudget\n          spend\n          teams {\n            id\n            name\n            maxBudget\n            spend\n          }\n        }\n      }\n    }\n  }\n": types.DashboardBudgetsDocument,
    "\n  fragment KeyFields on VirtualKey {\n    id\n    alias\n    keyDisplay\n    teamId\n    userId\n    orgId\n    models\n    maxBudget\n    softBudget\n    budgetDuration\n    spend\n    rpmLimit\n    tpmLimit\n    maxParallelRequests\n    expiresAt\n    blocked\n    revoked\n    tags\n    createdAt\n    lastUsedAt\n    team {\n      id\n      name\n    }\n  }\n": types.KeyFieldsFragmentDoc,
    "\n  query Keys($first: Int!, $after: String, $search: String, $teamId: ID, $includeRevoked: Boolean!) {\n    keys(first: $first, after: $after, search: $search, teamId: $teamId, includeRevoked: $includeRevoked) {\n      totalCount\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      edges {\n        cursor\n        node {\n          ...KeyFields\n        }\n      }\n    }\n  }\n": types.KeysDocument,
    "\n  query KeyFormOptions {\n    organizations(first: 50) {\n      edges {\n        node {\n          id\n          name\n          teams {\n            id\n            name\n          }\n        }\n      }\n    }\n    modelDeployments(first: 100) {\n      edges {\n        node {\n          id\n          modelName\n        }\n      }\n    }\n  }\n": types.KeyFormOptionsDocument,
    "\n  query KeyUsers {\n    users(first: 100) {\n      edges {\n        node {\n          id\n          email\n        }\n      }\n    }\n  }\n": types.KeyUsersDocument,
    "\n  mutation CreateKey($input: CreateKeyInput!) {\n    createKey(input: $input) {\n      secret\n      key {\n        ...KeyFields\n      }\n      errors {\n        field\n        message\n        code\n      }\n    }\n  }\n": types.CreateKeyDocument,
    "\n  mutation UpdateKey($keyId: ID!, $input: UpdateKeyInput!) {\n    updateKey(keyId: $keyId, input: $input) {\n      key {\n        ...KeyFields\n      }\n      errors {\n        field\n        message\n        code\n      }\n    }\n  }\n": types.UpdateKeyDocument,
    "\n  mutation RegenerateKey($keyId: ID!, $graceSeconds: Int) {\n    regenerateKey(keyId: $keyId, graceSeconds: $graceSeconds) {\n      secret\n      key {\n        ...KeyFields\n      }\n      errors {\n        field\n        message\n        code\n      }\n    }\n  }\n": types.RegenerateKeyDocument,
    "\n  mutation RevokeKey($keyId: ID!) {\n    revokeKey(keyId: $keyId) {\n      ...KeyFields\n    }\n  }\n": types.RevokeKeyDocument,
    "\n  mutation SetKeyBlocked($keyId: ID!, $blocked: Boolean!) {\n    setKeyBlocked(keyId: $keyId, blocked: $blocked) {\n      ...KeyFields\n    }\n  }\n": types.SetKeyBlockedDocument,
    "\n  query Usage($start: Date!, $end: Date!, $by: SpendDimension!) {\n    dailySpend(start: $start, end: $end) {\n      label\n      cost\n      requests\n      promptTokens\n      completionTokens\n    }\n    breakdown: spendBreakdown(start: $start, end: $end, by: $by, limit: 10) {\n      label\n      cost\n      requests\n      promptTokens\n      completionTokens\n    }\n  }\n": types.UsageDocument,
    "\n  query RequestLogs($first: Int!, $after: String, $filter: RequestLogFilter) {\n    requestLogs(first: $first, after: $after, filter: $filter) {\n      totalCount\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      edges {\n        node {\n          requestId\n          keyId\n          userId\n          teamId\n          orgId\n          endUser\n          modelGroup\n          deploymentId\n          provider\n          callType\n          promptTokens\n          completionTokens\n          cachedTokens\n          cost\n          latencyMs\n          ttftMs\n          status\n          statusCode\n          tags\n          startedAt\n        }\n      }\n    }\n  }\n": types.RequestLogsDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query AuditLog($first: Int!, $after: String, $action: String, $actorId: String, $targetType: String, $start: DateTime, $end: DateTime) {\n    auditLog(first: $first, after: $after, action: $action, actorId: $actorId, targetType: $targetType, start: $start, end: $end) {\n      totalCount\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      edges {\n        node {\n          id\n          actorType\n          actorId\n          action\n          targetType\n          targetId\n          orgId\n          before\n          after\n          requestId\n          createdAt\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query AuditLog($first: Int!, $after: String, $action: String, $actorId: String, $targetType: String, $start: DateTime, $end: DateTime) {\n    auditLog(first: $first, after: $after, action: $action, actorId: $actorId, targetType: $targetType, start: $start, end: $end) {\n      totalCount\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      edges {\n        node {\n          id\n          actorType\n          actorId\n          action\n          targetType\n          targetId\n          orgId\n          before\n          after\n          requestId\n          createdAt\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Viewer {\n    me {\n      kind\n      id\n      email\n      platformRole\n      mustChangePassword\n      mfaSetupRequired\n      orgIds\n      orgRoles {\n        orgId\n        role\n      }\n      teamRoles {\n        teamId\n        role\n      }\n    }\n  }\n"): (typeof documents)["\n  query Viewer {\n    me {\n      kind\n      id\n      email\n      platformRole\n      mustChangePassword\n      mfaSetupRequired\n      orgIds\n      orgRoles {\n        orgId\n        role\n      }\n      teamRoles {\n        teamId\n        role\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Login($email: String!, $password: String!, $totpCode: String) {\n    login(email: $email, password: $password, totpCode: $totpCode) {\n      ok\n      mfaRequired\n      mustChangePassword\n      errors {\n        field\n        message\n        code\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation Login($email: String!, $password: String!, $totpCode: String) {\n    login(email: $email, password: $password, totpCode: $totpCode) {\n      ok\n      mfaRequired\n      mustChangePassword\n      errors {\n        field\n        message\n        code\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Logout {\n    logout\n  }\n"): (typeof documents)["\n  mutation Logout {\n    logout\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ChangePassword($current: String!, $new: String!) {\n    changePassword(current: $current, new: $new) {\n      field\n      message\n      code\n    }\n  }\n"): (typeof documents)["\n  mutation ChangePassword($current: String!, $new: String!) {\n    changePassword(current: $current, new: $new) {\n      field\n      message\n      code\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation StartMfaEnrollment {\n    startMfaEnrollment {\n      otpauthUri\n      secret\n    }\n  }\n"): (typeof documents)["\n  mutation StartMfaEnrollment {\n    startMfaEnrollment {\n      otpauthUri\n      secret\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ConfirmMfaEnrollment($code: String!) {\n    confirmMfaEnrollment(code: $code)\n  }\n"): (typeof documents)["\n  mutation ConfirmMfaEnrollment($code: String!) {\n    confirmMfaEnrollment(code: $code)\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Dashboard($start: Date!, $end: Date!, $startAt: DateTime!, $endAt: DateTime!) {\n    spendTotals(start: $start, end: $end) {\n      cost\n      requests\n      promptTokens\n      completionTokens\n    }\n    dailySpend(start: $start, end: $end) {\n      label\n      cost\n      requests\n    }\n    byModel: spendBreakdown(start: $start, end: $end, by: MODEL, limit: 8) {\n      label\n      cost\n      requests\n    }\n    byKey: spendBreakdown(start: $start, end: $end, by: KEY, limit: 5) {\n      label\n      cost\n      requests\n    }\n    byTeam: spendBreakdown(start: $start, end: $end, by: TEAM, limit: 5) {\n      label\n      cost\n      requests\n    }\n    loggedRequests: requestLogs(first: 1, filter: { start: $startAt, end: $endAt }) {\n      totalCount\n    }\n    failedRequests: requestLogs(first: 1, filter: { start: $startAt, end: $endAt, status: \"error\" }) {\n      totalCount\n    }\n  }\n"): (typeof documents)["\n  query Dashboard($start: Date!, $end: Date!, $startAt: DateTime!, $endAt: DateTime!) {\n    spendTotals(start: $start, end: $end) {\n      cost\n      requests\n      promptTokens\n      completionTokens\n    }\n    dailySpend(start: $start, end: $end) {\n      label\n      cost\n      requests\n    }\n    byModel: spendBreakdown(start: $start, end: $end, by: MODEL, limit: 8) {\n      label\n      cost\n      requests\n    }\n    byKey: spendBreakdown(start: $start, end: $end, by: KEY, limit: 5) {\n      label\n      cost\n      requests\n    }\n    byTeam: spendBreakdown(start: $start, end: $end, by: TEAM, limit: 5) {\n      label\n      cost\n      requests\n    }\n    loggedRequests: requestLogs(first: 1, filter: { start: $startAt, end: $endAt }) {\n      totalCount\n    }\n    failedRequests: requestLogs(first: 1, filter: { start: $startAt, end: $endAt, status: \"error\" }) {\n      totalCount\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query DashboardBudgets {\n    keys(first: 100) {\n      edges {\n        node {\n          id\n          alias\n          keyDisplay\n          maxBudget\n          spend\n        }\n      }\n    }\n    organizations(first: 50) {\n      edges {\n        node {\n          id\n          name\n          maxBudget\n          spend\n          teams {\n            id\n            name\n            maxBudget\n            spend\n          }\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query DashboardBudgets {\n    keys(first: 100) {\n      edges {\n        node {\n          id\n          alias\n          keyDisplay\n          maxBudget\n          spend\n        }\n      }\n    }\n    organizations(first: 50) {\n      edges {\n        node {\n          id\n          name\n          maxBudget\n          spend\n          teams {\n            id\n            name\n            maxBudget\n            spend\n          }\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment KeyFields on VirtualKey {\n    id\n    alias\n    keyDisplay\n    teamId\n    userId\n    orgId\n    models\n    maxBudget\n    softBudget\n    budgetDuration\n    spend\n    rpmLimit\n    tpmLimit\n    maxParallelRequests\n    expiresAt\n    blocked\n    revoked\n    tags\n    createdAt\n    lastUsedAt\n    team {\n      id\n      name\n    }\n  }\n"): (typeof documents)["\n  fragment KeyFields on VirtualKey {\n    id\n    alias\n    keyDisplay\n    teamId\n    userId\n    orgId\n    models\n    maxBudget\n    softBudget\n    budgetDuration\n    spend\n    rpmLimit\n    tpmLimit\n    maxParallelRequests\n    expiresAt\n    blocked\n    revoked\n    tags\n    createdAt\n    lastUsedAt\n    team {\n      id\n      name\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Keys($first: Int!, $after: String, $search: String, $teamId: ID, $includeRevoked: Boolean!) {\n    keys(first: $first, after: $after, search: $search, teamId: $teamId, includeRevoked: $includeRevoked) {\n      totalCount\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      edges {\n        cursor\n        node {\n          ...KeyFields\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query Keys($first: Int!, $after: String, $search: String, $teamId: ID, $includeRevoked: Boolean!) {\n    keys(first: $first, after: $after, search: $search, teamId: $teamId, includeRevoked: $includeRevoked) {\n      totalCount\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      edges {\n        cursor\n        node {\n          ...KeyFields\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query KeyFormOptions {\n    organizations(first: 50) {\n      edges {\n        node {\n          id\n          name\n          teams {\n            id\n            name\n          }\n        }\n      }\n    }\n    modelDeployments(first: 100) {\n      edges {\n        node {\n          id\n          modelName\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query KeyFormOptions {\n    organizations(first: 50) {\n      edges {\n        node {\n          id\n          name\n          teams {\n            id\n            name\n          }\n        }\n      }\n    }\n    modelDeployments(first: 100) {\n      edges {\n        node {\n          id\n          modelName\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query KeyUsers {\n    users(first: 100) {\n      edges {\n        node {\n          id\n          email\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query KeyUsers {\n    users(first: 100) {\n      edges {\n        node {\n          id\n          email\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreateKey($input: CreateKeyInput!) {\n    createKey(input: $input) {\n      secret\n      key {\n        ...KeyFields\n      }\n      errors {\n        field\n        message\n        code\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation CreateKey($input: CreateKeyInput!) {\n    createKey(input: $input) {\n      secret\n      key {\n        ...KeyFields\n      }\n      errors {\n        field\n        message\n        code\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation UpdateKey($keyId: ID!, $input: UpdateKeyInput!) {\n    updateKey(keyId: $keyId, input: $input) {\n      key {\n        ...KeyFields\n      }\n      errors {\n        field\n        message\n        code\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation UpdateKey($keyId: ID!, $input: UpdateKeyInput!) {\n    updateKey(keyId: $keyId, input: $input) {\n      key {\n        ...KeyFields\n      }\n      errors {\n        field\n        message\n        code\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RegenerateKey($keyId: ID!, $graceSeconds: Int) {\n    regenerateKey(keyId: $keyId, graceSeconds: $graceSeconds) {\n      secret\n      key {\n        ...KeyFields\n      }\n      errors {\n        field\n        message\n        code\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation RegenerateKey($keyId: ID!, $graceSeconds: Int) {\n    regenerateKey(keyId: $keyId, graceSeconds: $graceSeconds) {\n      secret\n      key {\n        ...KeyFields\n      }\n      errors {\n        field\n        message\n        code\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RevokeKey($keyId: ID!) {\n    revokeKey(keyId: $keyId) {\n      ...KeyFields\n    }\n  }\n"): (typeof documents)["\n  mutation RevokeKey($keyId: ID!) {\n    revokeKey(keyId: $keyId) {\n      ...KeyFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SetKeyBlocked($keyId: ID!, $blocked: Boolean!) {\n    setKeyBlocked(keyId: $keyId, blocked: $blocked) {\n      ...KeyFields\n    }\n  }\n"): (typeof documents)["\n  mutation SetKeyBlocked($keyId: ID!, $blocked: Boolean!) {\n    setKeyBlocked(keyId: $keyId, blocked: $blocked) {\n      ...KeyFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Usage($start: Date!, $end: Date!, $by: SpendDimension!) {\n    dailySpend(start: $start, end: $end) {\n      label\n      cost\n      requests\n      promptTokens\n      completionTokens\n    }\n    breakdown: spendBreakdown(start: $start, end: $end, by: $by, limit: 10) {\n      label\n      cost\n      requests\n      promptTokens\n      completionTokens\n    }\n  }\n"): (typeof documents)["\n  query Usage($start: Date!, $end: Date!, $by: SpendDimension!) {\n    dailySpend(start: $start, end: $end) {\n      label\n      cost\n      requests\n      promptTokens\n      completionTokens\n    }\n    breakdown: spendBreakdown(start: $start, end: $end, by: $by, limit: 10) {\n      label\n      cost\n      requests\n      promptTokens\n      completionTokens\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query RequestLogs($first: Int!, $after: String, $filter: RequestLogFilter) {\n    requestLogs(first: $first, after: $after, filter: $filter) {\n      totalCount\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      edges {\n        node {\n          requestId\n          keyId\n          userId\n          teamId\n          orgId\n          endUser\n          modelGroup\n          deploymentId\n          provider\n          callType\n          promptTokens\n          completionTokens\n          cachedTokens\n          cost\n          latencyMs\n          ttftMs\n          status\n          statusCode\n          tags\n          startedAt\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query RequestLogs($first: Int!, $after: String, $filter: RequestLogFilter) {\n    requestLogs(first: $first, after: $after, filter: $filter) {\n      totalCount\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      edges {\n        node {\n          requestId\n          keyId\n          userId\n          teamId\n          orgId\n          endUser\n          modelGroup\n          deploymentId\n          provider\n          callType\n          promptTokens\n          completionTokens\n          cachedTokens\n          cost\n          latencyMs\n          ttftMs\n          status\n          statusCode\n          tags\n          startedAt\n        }\n      }\n    }\n  }\n"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;