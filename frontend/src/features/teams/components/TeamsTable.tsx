import { createColumnHelper } from "@tanstack/react-table";
import { Link, useNavigate } from "react-router";

import { DataTable } from "../../../components/ui/DataTable";
import { Badge } from "../../../components/ui/States";
import { UsageBar } from "../../../components/ui/UsageBar";
import type { TeamFieldsFragment } from "../../../gql/graphql";
import { formatDate, formatMoney } from "../../../lib/format";
import { GuardrailBadges } from "../../gateway/components/GuardrailPicker";

const column = createColumnHelper<TeamFieldsFragment>();

export function teamPath(team: { id: string; orgId: string }): string {
  return `/orgs/${team.orgId}/teams/${team.id}`;
}

export function rateLimits(row: { rpmLimit: number | null; tpmLimit: number | null; maxParallelRequests: number | null }): string {
  const parts = [
    row.rpmLimit !== null ? `${row.rpmLimit} rpm` : null,
    row.tpmLimit !== null ? `${row.tpmLimit} tpm` : null,
    row.maxParallelRequests !== null ? `${row.maxParallelRequests} parallel` : null,
  ].filter(Boolean);
  return parts.length > 0 ? parts.join(" · ") : "—";
}

export function SpendCell({ name, spend, maxBudget }: { name: string; spend: string; maxBudget: string | null }) {
  return (
    <div className="min-w-0 space-y-1">
      <div className="truncate tabular-nums">
        {formatMoney(spend)}
        {maxBudget !== null && <> / {formatMoney(maxBudget)}</>}
      </div>
      {maxBudget !== null && <UsageBar used={Number(spend)} limit={Number(maxBudget)} label={`Spend of ${name}`} />}
    </div>
  );
}

const columns = [
  column.accessor("name", {
    header: "Team",
    cell: ({ row }) => (
      <Link to={teamPath(row.original)} className="block truncate font-medium text-indigo-700 hover:underline dark:text-indigo-300" title={row.original.name}>
        {row.original.name}
      </Link>
    ),
  }),
  column.display({
    id: "spend",
    header: "Spend / budget",
    cell: ({ row }) => <SpendCell name={row.original.name} spend={row.original.spend} maxBudget={row.original.maxBudget} />,
  }),
  column.display({ id: "limits", header: "Limits", cell: ({ row }) => <span className="block truncate">{rateLimits(row.original)}</span> }),
  column.display({
    id: "guardrails",
    header: "Guardrails",
    cell: ({ row }) =>
      row.original.guardrails.length > 0 ? (
        <GuardrailBadges names={row.original.guardrails} label={`Guardrails of ${row.original.name}`} />
      ) : (
        "—"
      ),
  }),
  column.display({
    id: "status",
    header: "Status",
    cell: ({ row }) => (row.original.blocked ? <Badge tone="red">Blocked</Badge> : <Badge tone="green">Active</Badge>),
  }),
  column.accessor("createdAt", { header: "Created", cell: (info) => formatDate(info.getValue()) }),
];

const WIDTHS = {
  name: "w-[24%]",
  spend: "w-[21%]",
  limits: "w-[17%]",
  guardrails: "w-[16%]",
  status: "w-[10%]",
  createdAt: "w-[12%]",
};

export function TeamsTable({ teams }: { teams: TeamFieldsFragment[] }) {
  const navigate = useNavigate();
  return (
    <DataTable
      label="Teams"
      data={teams}
      columns={columns}
      getRowId={(t) => t.id}
      widths={WIDTHS}
      minWidth="min-w-[40rem]"
      onRowClick={(t) => void navigate(teamPath(t))}
    />
  );
}
