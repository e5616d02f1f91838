import type { ReactNode } from "react";

import { EmptyState } from "../../../components/ui/States";
import { formatCount, formatMoney } from "../../../lib/format";

export interface BreakdownRow {
  key: string;
  name: ReactNode;
  cost: string;
  requests: number;
}

/** A ranked list with a bar proportional to spend. */
export function BreakdownList({ rows, label }: { rows: BreakdownRow[]; label: string }) {
  if (rows.length === 0) return <EmptyState title="No spend in this period" />;
  const max = Math.max(...rows.map((r) => Number(r.cost)), 0);
  return (
    <table className="w-full table-fixed text-sm" aria-label={label}>
      <thead className="sr-only">
        <tr>
          <th scope="col">Name</th>
          <th scope="col">Spend</th>
          <th scope="col">Requests</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr key={row.key} className="align-top">
            <td className="py-1.5 pr-2">
              <div className="truncate" title={typeof row.name === "string" ? row.name : undefined}>{row.name}</div>
              <div className="mt-1 h-1.5 rounded bg-slate-100 dark:bg-slate-800" aria-hidden>
                <div
                  className="h-1.5 rounded bg-indigo-500"
                  style={{ width: `${max > 0 ? (Number(row.cost) / max) * 100 : 0}%` }}
                />
              </div>
            </td>
            <td className="w-24 py-1.5 text-right tabular-nums">{formatMoney(row.cost)}</td>
            <td className="w-20 py-1.5 text-right text-slate-600 tabular-nums dark:text-slate-400">
              {formatCount(row.requests)}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
