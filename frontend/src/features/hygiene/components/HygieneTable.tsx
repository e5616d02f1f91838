import { createColumnHelper, type RowSelectionState } from "@tanstack/react-table";
import { useMemo } from "react";

import { DataTable } from "../../../components/ui/DataTable";
import { Badge } from "../../../components/ui/States";
import { KeyIssue, type KeyHygieneQuery } from "../../../gql/graphql";
import { formatDate, formatDateTime, formatMoney } from "../../../lib/format";
import { KeyStatus } from "../../keys/components/KeyStatus";

export type FlaggedKeyRow = KeyHygieneQuery["keyHygiene"]["edges"][number]["node"];

export const ISSUE_LABELS: Record<KeyIssue, string> = {
  [KeyIssue.Idle]: "Idle",
  [KeyIssue.NoExpiry]: "No expiry",
  [KeyIssue.AllModels]: "All models",
  [KeyIssue.OwnerBlocked]: "Owner blocked",
  [KeyIssue.BudgetBurn]: "Budget burn",
};

const column = createColumnHelper<FlaggedKeyRow>();

const WIDTHS: Record<string, string> = {
  select: "w-10",
  key: "w-[22%]",
  issues: "w-[24%]",
  status: "w-[10%]",
  lastActive: "w-[12%]",
  spend: "w-[14%]",
  burn: "w-[18%]",
};

function labelOf(row: FlaggedKeyRow): string {
  return row.key.alias ?? row.key.keyDisplay;
}

/** Flagged keys with their issues; rows can be selected for bulk actions (revoked keys cannot). */
export function HygieneTable({
  rows,
  selection,
  onSelectionChange,
}: {
  rows: FlaggedKeyRow[];
  selection: RowSelectionState;
  onSelectionChange: (selection: RowSelectionState) => void;
}) {
  const columns = useMemo(
    () => [
      column.display({
        id: "select",
        header: ({ table }) => (
          <input
            type="checkbox"
            aria-label="Select every key on this page"
            checked={table.getIsAllRowsSelected()}
            ref={(el) => {
              if (el) el.indeterminate = table.getIsSomeRowsSelected();
            }}
            onChange={table.getToggleAllRowsSelectedHandler()}
          />
        ),
        cell: ({ row }) => (
          <input
            type="checkbox"
            aria-label={`Select ${labelOf(row.original)}`}
            checked={row.getIsSelected()}
            disabled={!row.getCanSelect()}
            onChange={row.getToggleSelectedHandler()}
          />
        ),
      }),
      column.display({
        id: "key",
        header: "Key",
        cell: ({ row }) => (
          <div className="min-w-0">
            <div className="truncate font-medium" title={row.original.key.alias ?? undefined}>
              {row.original.key.alias ?? <span className="text-slate-600 italic dark:text-slate-400">no alias</span>}
            </div>
            <div className="truncate font-mono text-xs text-slate-600 dark:text-slate-400">{row.original.key.keyDisplay}</div>
          </div>
        ),
      }),
      column.display({
        id: "issues",
        header: "Issues",
        cell: ({ row }) => (
          <div className="flex flex-wrap gap-1">
            {row.original.issues.map((issue) => (
              <Badge key={issue} tone={issue === KeyIssue.OwnerBlocked || issue === KeyIssue.BudgetBurn ? "red" : "amber"}>
                {ISSUE_LABELS[issue]}
              </Badge>
            ))}
            {row.original.blockedOwners.length > 0 && (
              <span className="block w-full truncate text-xs text-slate-600 dark:text-slate-400" title={row.original.blockedOwners.join(", ")}>
                blocked: {row.original.blockedOwners.join(", ")}
              </span>
            )}
          </div>
        ),
      }),
      column.display({
        id: "status",
        header: "Status",
        cell: ({ row }) => <KeyStatus keyRow={row.original.key} />,
      }),
      column.display({
        id: "lastActive",
        header: "Last active",
        cell: ({ row }) => (
          <span className="block truncate" title={formatDateTime(row.original.lastActiveAt)}>
            {formatDate(row.original.lastActiveAt)}
          </span>
        ),
      }),
      column.display({
        id: "spend",
        header: "Spend / budget",
        cell: ({ row }) => (
          <span className="tabular-nums">
            {formatMoney(row.original.key.spend)}
            {row.original.key.maxBudget !== null && <> / {formatMoney(row.original.key.maxBudget)}</>}
          </span>
        ),
      }),
      column.display({
        id: "burn",
        header: "Projected / exhausts",
        cell: ({ row }) =>
          row.original.projectedSpend !== null || row.original.exhaustsAt !== null ? (
            <div className="text-xs">
              <div className="tabular-nums">{formatMoney(row.original.projectedSpend)} by reset</div>
              {row.original.exhaustsAt && <div title={formatDateTime(row.original.exhaustsAt)}>runs out {formatDateTime(row.original.exhaustsAt)}</div>}
            </div>
          ) : (
            "—"
          ),
      }),
    ],
    [],
  );
  return (
    <DataTable
      label="Flagged keys"
      data={rows}
      columns={columns}
      getRowId={(r) => r.key.id}
      widths={WIDTHS}
      minWidth="min-w-[56rem]"
      selection={{ state: selection, onChange: onSelectionChange, canSelect: (r) => !r.key.revoked }}
    />
  );
}
