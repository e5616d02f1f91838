import type { KeyFieldsFragment } from "../gql/graphql";
import type { Viewer } from "../features/auth/viewer";
import { PlatformRole } from "../gql/graphql";

export function viewer(overrides: Partial<Viewer> = {}): Viewer {
  return {
    __typename: "Viewer",
    kind: "user",
    id: "u1",
    email: "someone@example.com",
    platformRole: PlatformRole.OrgUser,
    mustChangePassword: false,
    mfaSetupRequired: false,
    orgIds: [],
    orgRoles: [],
    teamRoles: [],
    ...overrides,
  } as Viewer;
}

export function key(overrides: Partial<KeyFieldsFragment> = {}): KeyFieldsFragment {
  return {
    __typename: "VirtualKey",
    id: "k1",
    alias: "billing-service",
    keyDisplay: "sk-abc…wxyz",
    teamId: null,
    userId: null,
    orgId: null,
    models: [],
    maxBudget: null,
    softBudget: null,
    budgetDuration: null,
    spend: "0",
    rpmLimit: null,
    tpmLimit: null,
    maxParallelRequests: null,
    expiresAt: null,
    blocked: false,
    revoked: false,
    tags: [],
    guardrails: [],
    allowRequestGuardrails: false,
    allowedCacheControls: [],
    createdAt: "2026-12-01T10:00:00Z",
    lastUsedAt: null,
    team: null,
    ...overrides,
  } as KeyFieldsFragment;
}
