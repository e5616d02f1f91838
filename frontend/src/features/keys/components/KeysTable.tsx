import { createColumnHelper } from "@tanstack/react-table";
import { useMemo } from "react";

import { Button } from "../../../components/ui/Button";
import { DataTable } from "../../../components/ui/DataTable";
import { MenuContent, MenuItem, MenuRoot, MenuSeparator, MenuTrigger } from "../../../components/ui/Menu";
import { formatDate, formatDateTime, formatMoney } from "../../../lib/format";
import type { KeyFieldsFragment } from "../../../gql/graphql";
import { GuardrailBadges } from "../../gateway/components/GuardrailPicker";
import { KeyStatus } from "./KeyStatus";

export type KeyAction = "admission" | "edit" | "regenerate" | "block" | "unblock" | "revoke";

const column = createColumnHelper<KeyFieldsFragment>();

const WIDTHS: Record<string, string> = {
  key: "w-[19%]",
  team: "w-[10%]",
  models: "w-[14%]",
  policy: "w-[15%]",
  spend: "w-[13%]",
  limits: "w-[11%]",
  status: "w-[8%]",
  createdAt: "w-[10%]",
  actions: "w-14",
};

/** The key's own guardrails as badges, then what its requests may add or change. */
function Policy({ keyRow }: { keyRow: KeyFieldsFragment }) {
  const label = keyRow.alias ?? keyRow.keyDisplay;
  const extras = [
    keyRow.allowRequestGuardrails ? "+ request guardrails" : null,
    keyRow.allowedCacheControls.length > 0 ? `cache: ${keyRow.allowedCacheControls.join(", ")}` : null,
  ].filter((line) => line !== null);
  if (keyRow.guardrails.length === 0 && extras.length === 0) return <span>—</span>;
  return (
    <div className="min-w-0 space-y-1">
      <GuardrailBadges names={keyRow.guardrails} label={`Guardrails of ${label}`} />
      {extras.map((line) => (
        <div key={line} className="text-xs break-words text-slate-600 dark:text-slate-400">
          {line}
        </div>
      ))}
    </div>
  );
}

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
      column.display({ id: "policy", header: "Guardrails", cell: ({ row }) => <Policy keyRow={row.original} /> }),
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
      minWidth="min-w-[60rem]"
      rowClassName={(row) => (row.original.revoked ? "opacity-60" : undefined)}
    />
  );
}
