import { createColumnHelper } from "@tanstack/react-table";
import { useMemo } from "react";

import { Button } from "../../../components/ui/Button";
import { DataTable } from "../../../components/ui/DataTable";
import { MenuContent, MenuItem, MenuRoot, MenuSeparator, MenuTrigger } from "../../../components/ui/Menu";
import { formatDate, formatDateTime, formatMoney } from "../../../lib/format";
import type { KeyFieldsFragment } from "../../../gql/graphql";
import { KeyStatus } from "./KeyStatus";

export type KeyAction = "admission" | "edit" | "regenerate" | "block" | "unblock" | "revoke";

const column = createColumnHelper<KeyFieldsFragment>();

const WIDTHS: Record<string, string> = {
  key: "w-[21%]",
  team: "w-[12%]",
  models: "w-[18%]",
  spend: "w-[15%]",
  limits: "w-[12%]",
  status: "w-[8%]",
  createdAt: "w-[11%]",
  actions: "w-14",
};

function limits(key: KeyFieldsFragment): string {
  const parts = [
    key.rpmLimit !== null ? `${key.rpmLimit} rpm` : null,
    key.tpmLimit !== null ? `${key.tpmLimit} tpm` : null,
    key.maxParallelRequests !== null ? `${key.maxParallelRequests} parallel` : null,
  ].filter(Boolean);
  return parts.length > 0 ? parts.join(" · ") : "—";
}

export function KeysTable({
  keys,
  onAction,
}: {
  keys: KeyFieldsFragment[];
  onAction: (action: KeyAction, key: KeyFieldsFragment) => void;
}) {
  const columns = useMemo(
    () => [
      column.display({
        id: "key",
        header: "Key",
        cell: ({ row }) => (
          <div className="min-w-0">
            <div className="truncate font-medium" title={row.original.alias ?? undefined}>
              {row.original.alias ?? <span className="text-slate-600 italic dark:text-slate-400">no alias</span>}
            </div>
            <div className="truncate font-mono text-xs text-slate-600 dark:text-slate-400">{row.original.keyDisplay}</div>
          </div>
        ),
      }),
      column.accessor((k) => k.team?.name ?? "", {
        id: "team",
        header: "Team",
        cell: (info) => <span className="block truncate" title={info.getValue()}>{info.getValue() || "—"}</span>,
      }),
      column.accessor("models", {
        header: "Models",
        cell: (info) => {
          const models = info.getValue();
          const text = models.length === 0 ? "All models" : models.join(", ");
          return <span className="block truncate" title={text}>{text}</span>;
        },
      }),
      column.accessor("spend", {
        header: "Spend / budget",
        cell: ({ row }) => (
          <span className="tabular-nums whitespace-nowrap">
            {formatMoney(row.original.spend)}
            {row.original.maxBudget !== null && <> / {formatMoney(row.original.maxBudget)}</>}
            {row.original.budgetDuration && (
              <span className="text-xs text-slate-600 dark:text-slate-400"> per {row.original.budgetDuration}</span>
            )}
          </span>
        ),
      }),
      column.display({ id: "limits", header: "Limits", cell: ({ row }) => <span className="block truncate">{limits(row.original)}</span> }),
      column.display({ id: "status", header: "Status", cell: ({ row }) => <KeyStatus keyRow={row.original} /> }),
      column.accessor("createdAt", {
        header: "Created",
        cell: (info) => (
          <span className="block truncate" title={formatDateTime(info.getValue())}>
            {formatDate(info.getValue())}
          </span>
        ),
      }),
      column.display({
        id: "actions",
        header: () => <span className="sr-only">Actions</span>,
        cell: ({ row }) => {
          const key = row.original;
          const label = key.alias ?? key.keyDisplay;
          if (key.revoked) return null;
          return (
            <MenuRoot>
              <MenuTrigger asChild>
                <Button variant="ghost" size="sm" aria-label={`Actions for ${label}`}>
                  <span aria-hidden>⋯</span>
                </Button>
              </MenuTrigger>
              <MenuContent>
                <MenuItem onSelect={() => onAction("admission", key)}>Why refused?</MenuItem>
                <MenuItem onSelect={() => onAction("edit", key)}>Edit</MenuItem>
                <MenuItem onSelect={() => onAction("regenerate", key)}>Regenerate</MenuItem>
                <MenuItem onSelect={() => onAction(key.blocked ? "unblock" : "block", key)}>
                  {key.blocked ? "Unblock" : "Block"}
                </MenuItem>
                <MenuSeparator />
                <MenuItem danger onSelect={() => onAction("revoke", key)}>
                  Revoke
                </MenuItem>
              </MenuContent>
            </MenuRoot>
          );
        },
      }),
    ],
    [onAction],
  );
  return (
    <DataTable
      label="API keys"
      data={keys}
      columns={columns}
      getRowId={(k) => k.id}
      widths={WIDTHS}
      rowClassName={(row) => (row.original.revoked ? "opacity-60" : undefined)}
    />
  );
}
