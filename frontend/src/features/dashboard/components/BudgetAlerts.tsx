import { Badge, EmptyState } from "../../../components/ui/States";
import { formatMoney, formatPercent } from "../../../lib/format";
import type { BudgetUse } from "../budgets";

export function BudgetAlerts({ budgets }: { budgets: BudgetUse[] }) {
  if (budgets.length === 0) return <EmptyState title="No budget is above 80 %" />;
  return (
    <ul className="space-y-2" aria-label="Budgets above 80 %">
      {budgets.map((b) => (
        <li key={`${b.kind}:${b.id}`} className="flex items-center gap-3 text-sm">
          <Badge tone={b.ratio >= 1 ? "red" : "amber"}>{b.kind}</Badge>
          <span className="min-w-0 flex-1 truncate" title={b.name}>{b.name}</span>
          <span className="tabular-nums whitespace-nowrap">
            {formatMoney(b.spend)} / {formatMoney(b.budget)} ({formatPercent(b.ratio)})
          </span>
        </li>
      ))}
    </ul>
  );
}
