import { UsageBar } from "../../../components/ui/UsageBar";
import { formatMoney } from "../../../lib/format";

interface Limits {
  spend: string;
  maxBudget?: string | null;
  softBudget?: string | null;
  budgetDuration?: string | null;
  rpmLimit?: number | null;
  tpmLimit?: number | null;
  maxParallelRequests?: number | null;
  models?: readonly string[];
}

function orNone(value: number | null | undefined, unit: string): string {
  return value === null || value === undefined ? "No limit" : `${value} ${unit}`;
}

/** Spend against the budget as a bar, and the rate limits, of an organization, team or user. */
export function SpendSummary({ name, limits }: { name: string; limits: Limits }) {
  const budget = limits.maxBudget ? Number(limits.maxBudget) : null;
  return (
    <div className="space-y-3">
      <div>
        <div className="flex flex-wrap items-baseline justify-between gap-2 text-sm">
          <span className="font-medium">Spend</span>
          <span className="tabular-nums">
            {formatMoney(limits.spend)}
            {budget !== null ? ` of ${formatMoney(limits.maxBudget)}` : " · no budget"}
            {limits.budgetDuration && <span className="text-slate-600 dark:text-slate-400"> per {limits.budgetDuration}</span>}
          </span>
        </div>
        {budget !== null && (
          <div className="mt-1">
            <UsageBar used={Number(limits.spend)} limit={budget} label={`Spend of ${name} against its budget`} />
          </div>
        )}
        {limits.softBudget && (
          <p className="mt-1 text-xs text-slate-600 dark:text-slate-400">Soft budget {formatMoney(limits.softBudget)}</p>
        )}
      </div>
      <dl className="grid grid-cols-1 gap-2 text-sm sm:grid-cols-3">
        <div>
          <dt className="text-slate-600 dark:text-slate-400">Requests per minute</dt>
          <dd>{orNone(limits.rpmLimit, "rpm")}</dd>
        </div>
        <div>
          <dt className="text-slate-600 dark:text-slate-400">Tokens per minute</dt>
          <dd>{orNone(limits.tpmLimit, "tpm")}</dd>
        </div>
        <div>
          <dt className="text-slate-600 dark:text-slate-400">Parallel requests</dt>
          <dd>{orNone(limits.maxParallelRequests, "at once")}</dd>
        </div>
      </dl>
      {limits.models && (
        <p className="text-sm break-words">
          <span className="text-slate-600 dark:text-slate-400">Models: </span>
          {limits.models.length === 0 ? "All models" : limits.models.join(", ")}
        </p>
      )}
    </div>
  );
}
