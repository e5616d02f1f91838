import { useMutation, useQuery } from "@apollo/client/react";
import { useCallback, useState } from "react";
import { Link, useParams } from "react-router";

import { Button } from "../../../components/ui/Button";
import { Dialog } from "../../../components/ui/Dialog";
import { Alert, Badge, Card, ErrorState, LoadingState } from "../../../components/ui/States";
import { TeamRole } from "../../../gql/graphql";
import { errorMessage } from "../../../lib/apollo";
import { useCursorPages } from "../../../lib/cursors";
import { canManageOrg, canManageTeam, canSetTeamGuardrails, isPlatformAdmin } from "../../../lib/permissions";
import { useViewer } from "../../auth/viewer";
import { LimitsForm } from "../../orgs/components/LimitsForm";
import { MembersCard } from "../../orgs/components/MembersCard";
import { SpendSummary } from "../../orgs/components/SpendSummary";
import { limitsInput, limitsPayloadErrors, limitsValuesOf, type LimitsFormValues } from "../../orgs/limitsForm";
import { OrganizationQuery, UserPickerQuery } from "../../orgs/operations";
import { TEAM_ROLE_LABELS } from "../../orgs/roles";
import { TeamGuardrailsCard, TeamGuardrailsForm, teamGuardrailErrors } from "../components/TeamGuardrails";
import { TEAM_SHAPE } from "../components/TeamsSection";
import {
  RemoveTeamMemberMutation,
  SetTeamBlockedMutation,
  SetTeamGuardrailsMutation,
  SetTeamMemberMutation,
  TeamGuardrailChoicesQuery,
  TeamMembersQuery,
  TeamQuery,
  UpdateTeamMutation,
} from "../operations";

const MEMBER_PAGE = 20;

export default function TeamPage() {
  const { orgId = "", teamId = "" } = useParams();
  const viewer = useViewer();
  const [editing, setEditing] = useState(false);
  const [editingGuardrails, setEditingGuardrails] = useState(false);
  const [actionError, setActionError] = useState<string | undefined>();
  const [candidateSearch, setCandidateSearch] = useState("");
  const memberPages = useCursorPages();
  const { data, error, loading, refetch } = useQuery(TeamQuery, { variables: { teamId } });
  const org = useQuery(OrganizationQuery, { variables: { id: orgId } });
  const members = useQuery(TeamMembersQuery, { variables: { teamId, first: MEMBER_PAGE, after: memberPages.after } });
  const picker = useQuery(UserPickerQuery, { variables: { search: candidateSearch || null }, skip: !isPlatformAdmin(viewer) });
  const guardrailChoices = useQuery(TeamGuardrailChoicesQuery);
  const [updateTeam] = useMutation(UpdateTeamMutation);
  const [setTeamGuardrails] = useMutation(SetTeamGuardrailsMutation);
  const [setBlocked, blocking] = useMutation(SetTeamBlockedMutation);
  const [setTeamMember] = useMutation(SetTeamMemberMutation, { refetchQueries: ["TeamMembers"] });
  const [removeTeamMember] = useMutation(RemoveTeamMemberMutation, { refetchQueries: ["TeamMembers"] });
  const manages = canManageTeam(viewer, orgId, teamId);

  const setRole = useCallback(
    async (userId: string, role: TeamRole) => {
      try {
        const { data: result } = await setTeamMember({ variables: { teamId, userId, role } });
        const errors = result?.setTeamMember.errors ?? [];
        return errors.length > 0 ? errors.map((e) => e.message).join(" ") : null;
      } catch (e) {
        return errorMessage(e);
      }
    },
    [teamId, setTeamMember],
  );
  const remove = useCallback(
    async (userId: string) => {
      try {
        const { data: result } = await removeTeamMember({ variables: { teamId, userId } });
        const errors = result?.removeTeamMember.errors ?? [];
        return errors.length > 0 ? errors.map((e) => e.message).join(" ") : null;
      } catch (e) {
        return errorMessage(e);
      }
    },
    [teamId, removeTeamMember],
  );

  if (error) return <ErrorState message={errorMessage(error)} onRetry={() => void refetch()} />;
  if (loading && !data) return <LoadingState label="Loading the team" />;
  if (!data) return null;
  const team = data.team;
  const orgName = org.data?.organization.name;

  async function save(values: LimitsFormValues) {
    try {
      const { data: result } = await updateTeam({
        variables: { teamId, name: values.name.trim(), limits: limitsInput(values, TEAM_SHAPE) },
      });
      const refused = limitsPayloadErrors(result?.updateTeam.errors ?? []);
      if (refused) return refused;
      setEditing(false);
      return null;
    } catch (e) {
      return { form: errorMessage(e) };
    }
  }

  async function saveGuardrails(guardrails: string[]) {
    try {
      const { data: result } = await setTeamGuardrails({ variables: { teamId, guardrails } });
      const refused = teamGuardrailErrors(result?.setTeamGuardrails.errors ?? []);
      if (refused) return refused;
      setEditingGuardrails(false);
      return null;
    } catch (e) {
      return { form: errorMessage(e) };
    }
  }

  function toggleBlocked(): void {
    setActionError(undefined);
    setBlocked({ variables: { teamId, blocked: !team.blocked } }).catch((e: unknown) => setActionError(errorMessage(e)));
  }

  const memberData = members.data?.teamMembers;
  const policies = guardrailChoices.data?.gatewaySettings.guardrails ?? [];
  return (
    <div className="space-y-4">
      <nav aria-label="Breadcrumb" className="flex min-w-0 gap-1 text-sm">
        <Link to="/orgs" className="text-indigo-700 hover:underline dark:text-indigo-300">
          Organizations
        </Link>
        <span aria-hidden>/</span>
        <Link to={`/orgs/${orgId}`} className="truncate text-indigo-700 hover:underline dark:text-indigo-300">
          {orgName ?? "Organization"}
        </Link>
      </nav>
      <div className="flex flex-wrap items-center justify-between gap-3">
        <div className="flex min-w-0 items-center gap-2">
          <h1 className="truncate text-2xl font-semibold" title={team.name}>
            {team.name}
          </h1>
          {team.blocked && <Badge tone="red">Blocked</Badge>}
        </div>
        <div className="flex gap-2">
          <Link
            to={`/keys?team=${team.id}`}
            className="inline-flex items-center rounded-md border border-slate-300 bg-white px-3.5 py-2 text-sm font-medium text-slate-800 hover:bg-slate-50 dark:border-slate-600 dark:bg-slate-800 dark:text-slate-100 dark:hover:bg-slate-700"
          >
            View keys
          </Link>
          {manages && (
            <Button variant="secondary" onClick={() => setEditing(true)}>
              Edit
            </Button>
          )}
          {canManageOrg(viewer, orgId) && (
            <Button variant={team.blocked ? "secondary" : "danger"} disabled={blocking.loading} onClick={toggleBlocked}>
              {team.blocked ? "Unblock" : "Block"}
            </Button>
          )}
        </div>
      </div>
      {actionError && <Alert tone="error">{actionError}</Alert>}
      {team.blocked && <Alert tone="warning">This team is blocked: its keys are refused.</Alert>}
      <Card title="Budget and limits">
        <SpendSummary name={team.name} limits={team} />
      </Card>
      <TeamGuardrailsCard
        guardrails={team.guardrails}
        policies={policies}
        onEdit={canSetTeamGuardrails(viewer, orgId) ? () => setEditingGuardrails(true) : undefined}
      />
      <MembersCard<TeamRole>
        of="team"
        roles={TEAM_ROLE_LABELS}
        defaultRole={TeamRole.TeamDeveloper}
        loading={members.loading}
        error={members.error ? errorMessage(members.error) : undefined}
        page={
          memberData
            ? {
                rows: memberData.edges.map(({ node }) => ({ ...node, role: node.teamRole })),
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
      <Dialog open={editing} onOpenChange={setEditing} title={`Edit ${team.name}`} wide>
        {editing && (
          <LimitsForm label="Edit team" submitLabel="Save" shape={TEAM_SHAPE} initial={limitsValuesOf(team)} onSubmit={save} onCancel={() => setEditing(false)} />
        )}
      </Dialog>
      <Dialog open={editingGuardrails} onOpenChange={setEditingGuardrails} title={`Guardrails of ${team.name}`} wide>
        {guardrailChoices.error && (
          <Alert tone="error" className="mb-3">
            The guardrail policies could not be loaded: {errorMessage(guardrailChoices.error)}
          </Alert>
        )}
        {editingGuardrails && (
          <TeamGuardrailsForm
            initial={team.guardrails}
            policies={policies}
            onSubmit={saveGuardrails}
            onCancel={() => setEditingGuardrails(false)}
          />
        )}
      </Dialog>
    </div>
  );
}
