import { useMutation, useQuery } from "@apollo/client/react";
import { useState } from "react";
import { useNavigate } from "react-router";

import { Button } from "../../../components/ui/Button";
import { Dialog } from "../../../components/ui/Dialog";
import { Pager } from "../../../components/ui/Pager";
import { EmptyState, ErrorState, LoadingState } from "../../../components/ui/States";
import { errorMessage } from "../../../lib/apollo";
import { useCursorPages } from "../../../lib/cursors";
import { LimitsForm } from "../../orgs/components/LimitsForm";
import { EMPTY_LIMITS_FORM, limitsInput, limitsPayloadErrors, type LimitsFormShape, type LimitsFormValues } from "../../orgs/limitsForm";
import { CreateTeamMutation, TeamsQuery } from "../operations";
import { teamPath, TeamsTable } from "./TeamsTable";

export const TEAM_SHAPE: LimitsFormShape = { name: true, softBudget: false, models: true };
const PAGE = 20;

/** An organization's teams, a page at a time, with "Create team" for its managers. */
export function TeamsSection({ orgId, canCreate }: { orgId: string; canCreate: boolean }) {
  const navigate = useNavigate();
  const pages = useCursorPages();
  const [creating, setCreating] = useState(false);
  const { data, error, loading, refetch } = useQuery(TeamsQuery, { variables: { orgId, first: PAGE, after: pages.after } });
  const [createTeam] = useMutation(CreateTeamMutation, { refetchQueries: ["Teams"] });
  const teams = data?.teams.edges.map((e) => e.node) ?? [];

  async function create(values: LimitsFormValues) {
    try {
      const { data: result } = await createTeam({
        variables: { input: { orgId, name: values.name.trim(), limits: limitsInput(values, TEAM_SHAPE) } },
      });
      const payload = result?.createTeam;
      const refused = limitsPayloadErrors(payload?.errors ?? []);
      if (refused || !payload?.team) return refused ?? { form: "The team was not created." };
      setCreating(false);
      void navigate(teamPath(payload.team));
      return null;
    } catch (e) {
      return { form: errorMessage(e) };
    }
  }

  return (
    <div className="space-y-3">
      {canCreate && (
        <div className="flex justify-end">
          <Button onClick={() => setCreating(true)}>Create team</Button>
        </div>
      )}
      {error && <ErrorState message={errorMessage(error)} onRetry={() => void refetch()} />}
      {loading && !data && <LoadingState label="Loading teams" />}
      {data && teams.length === 0 && <EmptyState title="No teams yet">{canCreate ? "Create a team to give its members keys." : null}</EmptyState>}
      {data && teams.length > 0 && (
        <>
          <TeamsTable teams={teams} />
          <Pager
            total={data.teams.totalCount}
            noun={["team", "teams"]}
            page={pages.page}
            hasNext={data.teams.pageInfo.hasNextPage}
            onPrevious={pages.previous}
            onNext={() => pages.next(data.teams.pageInfo.endCursor)}
          />
        </>
      )}
      <Dialog open={creating} onOpenChange={setCreating} title="Create a team" wide>
        {creating && (
          <LimitsForm label="New team" submitLabel="Create team" shape={TEAM_SHAPE} initial={EMPTY_LIMITS_FORM} onSubmit={create} onCancel={() => setCreating(false)} />
        )}
      </Dialog>
    </div>
  );
}
