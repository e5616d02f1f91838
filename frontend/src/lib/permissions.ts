import { OrgRole, PlatformRole, TeamRole } from "../gql/graphql";
import type { Viewer } from "../features/auth/viewer";

// What each page needs, mirroring the schema's permission directives. Gating hides what the
// API would refuse anyway; the API stays the authority.

export type Page =
  | "dashboard"
  | "keys"
  | "hygiene"
  | "playground"
  | "usage"
  | "audit"
  | "orgs"
  | "teams"
  | "users"
  | "access"
  | "endusers"
  | "models"
  | "guardrails"
  | "settings";

const ADMINS: ReadonlySet<PlatformRole> = new Set([
  PlatformRole.PlatformAdmin,
  PlatformRole.PlatformCoAdmin,
]);
// auditLog: @requiresAnyOrgRole(roles: [ORG_OWNER, ORG_ADMIN, ORG_AUDITOR])
const AUDIT_ORG_ROLES: ReadonlySet<OrgRole> = new Set([
  OrgRole.OrgOwner,
  OrgRole.OrgAdmin,
  OrgRole.OrgAuditor,
]);

export function isPlatformAdmin(viewer: Viewer): boolean {
  return ADMINS.has(viewer.platformRole);
}

/** createModelDeployment, setGuardrailPolicy, update*Settings: @requiresRole(roles: [PLATFORM_ADMIN]). */
export function canEditGateway(viewer: Viewer): boolean {
  return viewer.platformRole === PlatformRole.PlatformAdmin;
}

export function canSee(viewer: Viewer, page: Page): boolean {
  switch (page) {
    case "dashboard":
    case "keys":
    // keyHygiene is @requiresSignIn and scoped to what the viewer may see, like keys.
    case "hygiene":
    // createPlaygroundKey mints for the viewer's own teams (admins may omit the team).
    case "playground":
    case "usage":
    // organizations is @requiresSignIn and lists only the viewer's own; teams are read through it.
    case "orgs":
    case "teams":
      return true;
    // users, endUsers: @requiresRole(roles: [PLATFORM_ADMIN, PLATFORM_CO_ADMIN])
    case "users":
    case "access":
    case "endusers":
    // routerDeployments (health) is @requiresRole(roles: [PLATFORM_ADMIN, PLATFORM_CO_ADMIN]); the
    // settings pages are the admins' (co-admins read, only platform admins change them).
    case "models":
    case "guardrails":
    case "settings":
      return isPlatformAdmin(viewer);
    case "audit":
      return isPlatformAdmin(viewer) || viewer.orgRoles.some((grant) => AUDIT_ORG_ROLES.has(grant.role));
  }
}

// updateOrganization, setOrgMember, removeOrgMember, createTeam, setTeamBlocked:
// @requiresOrgRole(roles: [ORG_OWNER, ORG_ADMIN]); platform admins pass every org-role check.
const ORG_MANAGERS: ReadonlySet<OrgRole> = new Set([OrgRole.OrgOwner, OrgRole.OrgAdmin]);

export function isSoleAdmin(viewer: Viewer): boolean {
  return viewer.platformRole === PlatformRole.PlatformAdmin;
}

/** createOrganization: @requiresRole(roles: [PLATFORM_ADMIN, PLATFORM_CO_ADMIN]) */
export function canCreateOrg(viewer: Viewer): boolean {
  return isPlatformAdmin(viewer);
}

/** setOrganizationBlocked, setUserLimits, setEndUserBudget/Blocked: @requiresRole(roles: [PLATFORM_ADMIN]) */
export const canBlockOrg = isSoleAdmin;
export const canSetPlatformLimits = isSoleAdmin;

export function canManageOrg(viewer: Viewer, orgId: string): boolean {
  return isSoleAdmin(viewer) || viewer.orgRoles.some((g) => g.orgId === orgId && ORG_MANAGERS.has(g.role));
}

/** updateTeam, setTeamMember, removeTeamMember: org owners/admins or the team's TEAM_ADMIN. */
export function canManageTeam(viewer: Viewer, orgId: string, teamId: string): boolean {
  return (
    canManageOrg(viewer, orgId) || viewer.teamRoles.some((g) => g.teamId === teamId && g.role === TeamRole.TeamAdmin)
  );
}

/** Access control: platform admins edit; co-admins only read (the API refuses them org roles they lack). */
export const canEditAccess = isSoleAdmin;

/** A key's guardrails and cache controls (createKey/updateKey refuse them to others): those who
 * manage its team, the organization's owners and admins, platform admins (alone for keys
 * outside any organization). */
export function canSetKeyPolicy(viewer: Viewer, orgId: string | null, teamId: string | null): boolean {
  if (isSoleAdmin(viewer)) return true;
  if (orgId !== null && canManageOrg(viewer, orgId)) return true;
  return teamId !== null && viewer.teamRoles.some((g) => g.teamId === teamId && g.role === TeamRole.TeamAdmin);
}

/** setTeamGuardrails: @requiresOrgRole(roles: [ORG_OWNER, ORG_ADMIN]), not the team's own admins. */
export const canSetTeamGuardrails = canManageOrg;
