import { createColumnHelper, flexRender, getCoreRowModel, useReactTable } from "@tanstack/react-table";
import { useMemo } from "react";

import { Badge } from "../../../components/ui/States";
import type { RequestLogsQuery } from "../../../gql/graphql";
import { formatCount, formatDateTime, formatMoney } from "../../../lib/format";

export type RequestLogRow = RequestLogsQuery["requestLogs"]["edges"][number]["node"];

const column = createColumnHelper<RequestLogRow>();

export function statusTone(status: string): "green" | "red" | "amber" {
  return status === "ok" ? "green" : status === "error" ? "red" : "amber";
}

export function RequestLogTable({
  rows,
  utc,
  onOpen,
}: {
  rows: RequestLogRow[];
  utc: boolean;
  onOpen: (row: RequestLogRow) => void;
}) {
  const columns = useMemo(
    () => [
      column.accessor("startedAt", {
        header: utc ? "Time (UTC)" : "Time",
        cell: ({ row, getValue }) => (
          <button
            type="button"
            className="text-left whitespace-nowrap text-indigo-700 underline dark:text-indigo-300"
            onClick={() => onOpen(row.original)}
          >
            {formatDateTime(getValue(), utc)}
            <span className="sr-only">: details of request {row.original.requestId}</span>
          </button>
        ),
      }),
      column.accessor("modelGroup", {
        header: "Model",
        cell: (info) => <span className="block truncate" title={info.getValue()}>{info.getValue()}</span>,
      }),
      column.accessor("keyId", {
        header: "Key",
        cell: (info) => <span className="block truncate font-mono text-xs" title={info.getValue() ?? undefined}>{info.getValue() ?? "—"}</span>,
      }),
      column.accessor("status", {
        header: "Status",
        cell: ({ row }) => (
          <Badge tone={statusTone(row.original.status)}>
            {row.original.status}
            {row.original.statusCode !== null ? ` ${row.original.statusCode}` : ""}
          </Badge>
        ),
      }),
      column.display({
        id: "tokens",
        header: "Tokens",
        cell: ({ row }) => (
          <span className="tabular-nums">{formatCount(row.original.promptTokens + row.original.completionTokens)}</span>
        ),
      }),
      column.accessor("cost", { header: "Cost", cell: (info) => <span className="tabular-nums">{formatMoney(info.getValue())}</span> }),
      column.accessor("latencyMs", {
        header: "Latency",
        cell: (info) => <span className="tabular-nums whitespace-nowrap">{formatCount(info.getValue())} ms</span>,
      }),
    ],
    [utc, onOpen],
  );
  const table = useReactTable({ data: rows, columns, getCoreRowModel: getCoreRowModel(), getRowId: (r) => r.requestId });
  return (
    <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white dark:border-slate-700 dark:bg-slate-900">
      <table className="w-full table-fixed text-sm" aria-label="Request log">
        <thead className="bg-slate-50 text-left text-xs text-slate-600 uppercase dark:bg-slate-800 dark:text-slate-300">
          {table.getHeaderGroups().map((group) => (
            <tr key={group.id}>
              {group.headers.map((header) => (
                <th key={header.id} scope="col" className={`px-3 py-2 font-medium ${header.column.id === "startedAt" ? "w-56" : ""}`}>
                  {flexRender(header.column.columnDef.header, header.getContext())}
                </th>
              ))}
            </tr>
          ))}
        </thead>
        <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
          {table.getRowModel().rows.map((row) => (
            <tr key={row.id}>
              {row.getVisibleCells().map((cell) => (
                <td key={cell.id} className="px-3 py-2">
                  {flexRender(cell.column.columnDef.cell, cell.getContext())}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
