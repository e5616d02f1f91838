import { Link } from "react-router";

import { Badge, EmptyState } from "../../../components/ui/States";
import { UsageBar } from "../../../components/ui/UsageBar";
import type { DashboardBudgetsQuery } from "../../../gql/graphql";
import { formatDateTime, formatMoney, formatPercent } from "../../../lib/format";
import { KIND_LABEL, periodLabel, spentShare } from "../budgets";

type BudgetUse = DashboardBudgetsQuery["budgetsNearLimit"][number];

function Name({ use }: { use: BudgetUse }) {
  if (use.kind !== "KEY") return <>{use.name}</>;
  return (
    <Link className="text-indigo-700 underline dark:text-indigo-300" to={`/keys/${use.id}`}>
      {use.name}
    </Link>
  );
}

function Period({ use }: { use: BudgetUse }) {
  const period = periodLabel(use.budgetDuration);
  if (period === null) return <>Never resets</>;
  if (use.resetAt === null) return <>{period}</>;
  return (
    <>
      {period}, resets {formatDateTime(use.resetAt)}
    </>
  );
}

/** Budgets past 80 %, worst first, as the server lists them. */
export function BudgetAlerts({ budgets }: { budgets: BudgetUse[] }) {
  if (budgets.length === 0) return <EmptyState title="No budget is above 80 %" />;
  return (
    <ul className="divide-y divide-slate-100 dark:divide-slate-800" aria-label="Budgets above 80 %">
      {budgets.map((use) => {
        const share = spentShare(use);
        return (
          <li key={`${use.kind}:${use.id}`} className="grid grid-cols-[auto_minmax(0,1fr)] items-center gap-x-3 gap-y-1 py-2 text-sm lg:grid-cols-[auto_minmax(0,1fr)_12rem_auto]">
            <Badge tone={share >= 1 ? "red" : "amber"}>{KIND_LABEL[use.kind]}</Badge>
            <span className="min-w-0 truncate" title={use.name}>
              <Name use={use} />
              <span className="block truncate text-xs text-slate-600 dark:text-slate-400">
                <Period use={use} />
              </span>
            </span>
            <span className="col-span-2 lg:col-span-1">
              <UsageBar used={Number(use.spend)} limit={Number(use.maxBudget)} label={`Spend of ${use.name}`} />
            </span>
            <span className="col-span-2 whitespace-nowrap tabular-nums lg:col-span-1 lg:text-right">
              {formatMoney(use.spend)} of {formatMoney(use.maxBudget)} ({formatPercent(share)})
            </span>
          </li>
        );
      })}
    </ul>
  );
}
