import { useMutation, useQuery } from "@apollo/client/react";
import { useCallback, useState } from "react";
import { Link, useParams } from "react-router";

import { Button } from "../../../components/ui/Button";
import { Dialog } from "../../../components/ui/Dialog";
import { Alert, Badge, Card, ErrorState, LoadingState } from "../../../components/ui/States";
import { OrgRole } from "../../../gql/graphql";
import { errorMessage } from "../../../lib/apollo";
import { useCursorPages } from "../../../lib/cursors";
import { canBlockOrg, canManageOrg, isPlatformAdmin } from "../../../lib/permissions";
import { useViewer } from "../../auth/viewer";
import { TeamsSection } from "../../teams/components/TeamsSection";
import { LimitsForm } from "../components/LimitsForm";
import { MembersCard } from "../components/MembersCard";
import { SpendSummary } from "../components/SpendSummary";
import { limitsInput, limitsPayloadErrors, limitsValuesOf, type LimitsFormValues } from "../limitsForm";
import {
  OrganizationQuery,
  OrgMembersQuery,
  RemoveOrgMemberMutation,
  SetOrganizationBlockedMutation,
  SetOrgMemberMutation,
  UpdateOrganizationMutation,
  UserPickerQuery,
} from "../operations";
import { ORG_ROLE_LABELS } from "../roles";
import { ORG_SHAPE } from "./OrganizationsPage";

const MEMBER_PAGE = 20;

export default function OrganizationPage() {
  const { orgId = "" } = useParams();
  const viewer = useViewer();
  const [editing, setEditing] = useState(false);
  const [actionError, setActionError] = useState<string | undefined>();
  const memberPages = useCursorPages();
  const { data, error, loading, refetch } = useQuery(OrganizationQuery, { variables: { id: orgId } });
  const members = useQuery(OrgMembersQuery, { variables: { orgId, first: MEMBER_PAGE, after: memberPages.after } });
  const [candidateSearch, setCandidateSearch] = useState("");
  const picker = useQuery(UserPickerQuery, { variables: { search: candidateSearch || null }, skip: !isPlatformAdmin(viewer) });
  const [updateOrganization] = useMutation(UpdateOrganizationMutation);
  const [setBlocked, blocking] = useMutation(SetOrganizationBlockedMutation);
  const [setOrgMember] = useMutation(SetOrgMemberMutation, { refetchQueries: ["OrgMembers"] });
  const [removeOrgMember] = useMutation(RemoveOrgMemberMutation, { refetchQueries: ["OrgMembers"] });
  const manages = canManageOrg(viewer, orgId);

  const setRole = useCallback(
    async (userId: string, role: OrgRole) => {
      try {
        const { data: result } = await setOrgMember({ variables: { orgId, userId, role } });
        const errors = result?.setOrgMember.errors ?? [];
        return errors.length > 0 ? errors.map((e) => e.message).join(" ") : null;
      } catch (e) {
        return errorMessage(e);
      }
    },
    [orgId, setOrgMember],
  );
  const remove = useCallback(
    async (userId: string) => {
      try {
        const { data: result } = await removeOrgMember({ variables: { orgId, userId } });
        const errors = result?.removeOrgMember.errors ?? [];
        return errors.length > 0 ? errors.map((e) => e.message).join(" ") : null;
      } catch (e) {
        return errorMessage(e);
      }
    },
    [orgId, removeOrgMember],
  );

  if (error) return <ErrorState message={errorMessage(error)} onRetry={() => void refetch()} />;
  if (loading && !data) return <LoadingState label="Loading the organization" />;
  if (!data) return null;
  const org = data.organization;

  async function save(values: LimitsFormValues) {
    try {
      const { data: result } = await updateOrganization({
        variables: { id: orgId, name: values.name.trim(), limits: limitsInput(values, ORG_SHAPE) },
      });
      const refused = limitsPayloadErrors(result?.updateOrganization.errors ?? []);
      if (refused) return refused;
      setEditing(false);
      return null;
    } catch (e) {
      return { form: errorMessage(e) };
    }
  }

  function toggleBlocked(): void {
    setActionError(undefined);
    setBlocked({ variables: { id: orgId, blocked: !org.blocked } }).catch((e: unknown) => setActionError(errorMessage(e)));
  }

  const memberData = members.data?.orgMembers;
  return (
    <div className="space-y-4">
      <nav aria-label="Breadcrumb" className="text-sm">
        <Link to="/orgs" className="text-indigo-700 hover:underline dark:text-indigo-300">
          Organizations
        </Link>
      </nav>
      <div className="flex flex-wrap items-center justify-between gap-3">
        <div className="flex min-w-0 items-center gap-2">
          <h1 className="truncate text-2xl font-semibold" title={org.name}>
            {org.name}
          </h1>
          {org.blocked && <Badge tone="red">Blocked</Badge>}
        </div>
        <div className="flex gap-2">
          {manages && (
            <Button variant="secondary" onClick={() => setEditing(true)}>
              Edit
            </Button>
          )}
          {canBlockOrg(viewer) && (
            <Button variant={org.blocked ? "secondary" : "danger"} disabled={blocking.loading} onClick={toggleBlocked}>
              {org.blocked ? "Unblock" : "Block"}
            </Button>
          )}
        </div>
      </div>
      {actionError && <Alert tone="error">{actionError}</Alert>}
      {org.blocked && <Alert tone="warning">This organization is blocked: every key in it is refused.</Alert>}
      <Card title="Budget and limits">
        <SpendSummary name={org.name} limits={org} />
      </Card>
      <Card title="Teams">
        <TeamsSection orgId={orgId} canCreate={manages} />
      </Card>
      <MembersCard<OrgRole>
        of="organization"
        roles={ORG_ROLE_LABELS}
        defaultRole={OrgRole.OrgMember}
        loading={members.loading}
        error={members.error ? errorMessage(members.error) : undefined}
        page={
          memberData
            ? {
                rows: memberData.edges.map(({ node }) => node),
                total: memberData.totalCount,
                page: memberPages.page,
                hasNext: memberData.pageInfo.hasNextPage,
                onPrevious: memberPages.previous,
                onNext: () => memberPages.next(memberData.pageInfo.endCursor),
              }
            : null
        }
        canEdit={manages}
        candidates={picker.data ? picker.data.users.edges.map(({ node }) => node) : null}
        onCandidateSearch={setCandidateSearch}
        onSetRole={setRole}
        onRemove={remove}
        onRetry={() => void members.refetch()}
      />
      <Dialog open={editing} onOpenChange={setEditing} title={`Edit ${org.name}`} wide>
        {editing && (
          <LimitsForm
            label="Edit organization"
            submitLabel="Save"
            shape={ORG_SHAPE}
            initial={limitsValuesOf(org)}
            onSubmit={save}
            onCancel={() => setEditing(false)}
          />
        )}
      </Dialog>
    </div>
  );
}
