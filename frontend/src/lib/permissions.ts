import { OrgRole, PlatformRole } from "../gql/graphql";
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
      return true;
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
