import { OrgRole, PlatformRole, TeamRole } from "../../gql/graphql";

export const ORG_ROLE_LABELS: Record<OrgRole, string> = {
  [OrgRole.OrgOwner]: "Owner",
  [OrgRole.OrgAdmin]: "Admin",
  [OrgRole.OrgBilling]: "Billing",
  [OrgRole.OrgAuditor]: "Auditor",
  [OrgRole.OrgMember]: "Member",
};

export const TEAM_ROLE_LABELS: Record<TeamRole, string> = {
  [TeamRole.TeamAdmin]: "Team admin",
  [TeamRole.TeamDeveloper]: "Developer",
  [TeamRole.TeamViewer]: "Viewer",
};

export const PLATFORM_ROLE_LABELS: Record<PlatformRole, string> = {
  [PlatformRole.PlatformAdmin]: "Platform admin",
  [PlatformRole.PlatformCoAdmin]: "Platform co-admin",
  [PlatformRole.OrgUser]: "Organization user",
};
