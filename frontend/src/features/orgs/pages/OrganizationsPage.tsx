import { useMutation, useQuery } from "@apollo/client/react";
import { createColumnHelper } from "@tanstack/react-table";
import { useState } from "react";
import { Link, useNavigate } from "react-router";

import { Button } from "../../../components/ui/Button";
import { DataTable } from "../../../components/ui/DataTable";
import { Dialog } from "../../../components/ui/Dialog";
import { Pager } from "../../../components/ui/Pager";
import { Badge, EmptyState, ErrorState, LoadingState } from "../../../components/ui/States";
import type { OrganizationsQuery as OrganizationsData } from "../../../gql/graphql";
import { errorMessage } from "../../../lib/apollo";
import { useCursorPages } from "../../../lib/cursors";
import { formatDate } from "../../../lib/format";
import { canCreateOrg } from "../../../lib/permissions";
import { useViewer } from "../../auth/viewer";
import { rateLimits, SpendCell } from "../../teams/components/TeamsTable";
import { LimitsForm } from "../components/LimitsForm";
import { EMPTY_LIMITS_FORM, limitsInput, limitsPayloadErrors, type LimitsFormShape, type LimitsFormValues } from "../limitsForm";
import { CreateOrganizationMutation, OrganizationsQuery } from "../operations";

type OrgRow = OrganizationsData["organizations"]["edges"][number]["node"];

export const ORG_SHAPE: LimitsFormShape = { name: true, softBudget: true, models: true };
const PAGE = 20;
const column = createColumnHelper<OrgRow>();

const columns = [
  column.accessor("name", {
    header: "Organization",
    cell: ({ row }) => (
      <div className="min-w-0">
        <Link to={`/orgs/${row.original.id}`} className="block truncate font-medium text-indigo-700 hover:underline dark:text-indigo-300" title={row.original.name}>
          {row.original.name}
        </Link>
        <div className="truncate font-mono text-xs text-slate-600 dark:text-slate-400">{row.original.slug}</div>
      </div>
    ),
  }),
  column.display({
    id: "spend",
    header: "Spend / budget",
    cell: ({ row }) => <SpendCell name={row.original.name} spend={row.original.spend} maxBudget={row.original.maxBudget} />,
  }),
  column.display({ id: "limits", header: "Limits", cell: ({ row }) => <span className="block truncate">{rateLimits(row.original)}</span> }),
  column.display({ id: "teams", header: "Teams", cell: ({ row }) => <span className="tabular-nums">{row.original.teams.length}</span> }),
  column.display({
    id: "status",
    header: "Status",
    cell: ({ row }) => (row.original.blocked ? <Badge tone="red">Blocked</Badge> : <Badge tone="green">Active</Badge>),
  }),
  column.accessor("createdAt", { header: "Created", cell: (info) => formatDate(info.getValue()) }),
];
const WIDTHS = { name: "w-[28%]", spend: "w-[22%]", limits: "w-[18%]", teams: "w-[8%]", status: "w-[11%]", createdAt: "w-[13%]" };

export default function OrganizationsPage() {
  const viewer = useViewer();
  const navigate = useNavigate();
  const pages = useCursorPages();
  const [creating, setCreating] = useState(false);
  const { data, error, loading, refetch } = useQuery(OrganizationsQuery, { variables: { first: PAGE, after: pages.after } });
  const [createOrganization] = useMutation(CreateOrganizationMutation, { refetchQueries: ["Organizations"] });
  const orgs = data?.organizations.edges.map((e) => e.node) ?? [];

  async function create(values: LimitsFormValues) {
    try {
      const { data: result } = await createOrganization({
        variables: { name: values.name.trim(), limits: limitsInput(values, ORG_SHAPE) },
      });
      const payload = result?.createOrganization;
      const refused = limitsPayloadErrors(payload?.errors ?? []);
      if (refused || !payload?.organization) return refused ?? { form: "The organization was not created." };
      setCreating(false);
      void navigate(`/orgs/${payload.organization.id}`);
      return null;
    } catch (e) {
      return { form: errorMessage(e) };
    }
  }

  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <h1 className="text-2xl font-semibold">Organizations</h1>
        {canCreateOrg(viewer) && <Button onClick={() => setCreating(true)}>Create organization</Button>}
      </div>
      {error && <ErrorState message={errorMessage(error)} onRetry={() => void refetch()} />}
      {loading && !data && <LoadingState label="Loading organizations" />}
      {data && orgs.length === 0 && (
        <EmptyState title="No organizations">
          {canCreateOrg(viewer) ? "Create one to hold teams, members and budgets." : "You are not a member of any organization yet."}
        </EmptyState>
      )}
      {data && orgs.length > 0 && (
        <>
          <DataTable
            label="Organizations"
            data={orgs}
            columns={columns}
            getRowId={(o) => o.id}
            widths={WIDTHS}
            minWidth="min-w-[44rem]"
            onRowClick={(o) => void navigate(`/orgs/${o.id}`)}
          />
          <Pager
            total={data.organizations.totalCount}
            noun={["organization", "organizations"]}
            page={pages.page}
            hasNext={data.organizations.pageInfo.hasNextPage}
            onPrevious={pages.previous}
            onNext={() => pages.next(data.organizations.pageInfo.endCursor)}
          />
        </>
      )}
      <Dialog open={creating} onOpenChange={setCreating} title="Create an organization" wide>
        {creating && (
          <LimitsForm
            label="New organization"
            submitLabel="Create organization"
            shape={ORG_SHAPE}
            initial={EMPTY_LIMITS_FORM}
            onSubmit={create}
            onCancel={() => setCreating(false)}
          />
        )}
      </Dialog>
    </div>
  );
}
