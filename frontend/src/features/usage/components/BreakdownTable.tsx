import { EmptyState } from "../../../components/ui/States";
import { formatCount, formatMoney } from "../../../lib/format";

interface Row {
  label: string | null;
  /** The display name of a key, team, organization or user (the label is its id). */
  name?: string | null;
  cost: string;
  requests: number;
  promptTokens: number;
  completionTokens: number;
}

export function BreakdownTable({ rows, dimension }: { rows: Row[]; dimension: string }) {
  if (rows.length === 0) return <EmptyState title="No spend in this period" />;
  return (
    <table className="w-full table-fixed text-sm" aria-label={`Spend by ${dimension.toLowerCase()}`}>
      <thead className="text-left text-xs text-slate-600 uppercase dark:text-slate-300">
        <tr>
          <th scope="col" className="py-1.5 font-medium">{dimension}</th>
          <th scope="col" className="w-28 py-1.5 text-right font-medium">Spend</th>
          <th scope="col" className="w-24 py-1.5 text-right font-medium">Requests</th>
          <th scope="col" className="w-28 py-1.5 text-right font-medium">Input tokens</th>
          <th scope="col" className="w-28 py-1.5 text-right font-medium">Output tokens</th>
        </tr>
      </thead>
      <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
        {rows.map((r) => (
          <tr key={r.label ?? "none"}>
            <td className="truncate py-1.5" title={r.name ? `${r.name} (${r.label ?? ""})` : (r.label ?? undefined)}>
              {r.name ?? r.label ?? "—"}
            </td>
            <td className="py-1.5 text-right tabular-nums">{formatMoney(r.cost)}</td>
            <td className="py-1.5 text-right tabular-nums">{formatCount(r.requests)}</td>
            <td className="py-1.5 text-right tabular-nums">{formatCount(r.promptTokens)}</td>
            <td className="py-1.5 text-right tabular-nums">{formatCount(r.completionTokens)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
