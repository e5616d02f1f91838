import { Badge, EmptyState } from "../../../components/ui/States";
import { UsageBar } from "../../../components/ui/UsageBar";
import { cn } from "../../../components/ui/cn";
import type { KeyAdmissionQuery } from "../../../gql/graphql";
import { formatCount, formatDateTime, formatMoney } from "../../../lib/format";
import { LIMIT_LABELS, levelLabel, type AdmissionRow } from "../admission";

function amount(row: AdmissionRow, value: number): string {
  return row.money ? formatMoney(value) : formatCount(value);
}

/** The limits in force at each level, the tightest highlighted. */
export function AdmissionLevelsTable({ rows }: { rows: AdmissionRow[] }) {
  if (rows.length === 0) {
    return <EmptyState title="No limit applies">No budget, rate or parallel limit is set on this key or above it.</EmptyState>;
  }
  return (
    <div className="overflow-x-auto rounded-lg border border-slate-200 dark:border-slate-700">
      <table className="w-full text-sm" aria-label="Limits in force">
        <thead className="bg-slate-50 text-left text-xs text-slate-600 uppercase dark:bg-slate-800 dark:text-slate-300">
          <tr>
            <th scope="col" className="px-3 py-2 font-medium">Level</th>
            <th scope="col" className="px-3 py-2 font-medium">Limit</th>
            <th scope="col" className="px-3 py-2 text-right font-medium">Used</th>
            <th scope="col" className="px-3 py-2 text-right font-medium">Left</th>
            <th scope="col" className="px-3 py-2 font-medium">Resets</th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
          {rows.map((row) => (
            <tr
              key={row.id}
              className={cn(row.tightest && "bg-amber-50 dark:bg-amber-950/60")}
              aria-label={row.tightest ? `${row.level} ${LIMIT_LABELS[row.limit]} (tightest)` : undefined}
            >
              <td className="px-3 py-2 align-top">
                <div className="font-medium">{row.level}</div>
                {row.tightest && <Badge tone="amber">tightest</Badge>}
              </td>
              <td className="px-3 py-2 align-top">
                <div>{LIMIT_LABELS[row.limit]}</div>
                <div className="text-xs text-slate-600 tabular-nums dark:text-slate-400">max {amount(row, row.max)}</div>
                {row.money && (
                  <div className="mt-1">
                    <UsageBar used={row.used} limit={row.max} label={`${row.level} budget used`} />
                  </div>
                )}
              </td>
              <td className="px-3 py-2 text-right align-top tabular-nums">{amount(row, row.used)}</td>
              <td className={cn("px-3 py-2 text-right align-top tabular-nums", row.left <= 0 && "font-semibold text-red-700 dark:text-red-400")}>
                {amount(row, Math.max(row.left, 0))}
              </td>
              <td className="px-3 py-2 align-top text-xs">{row.resetsAt ? formatDateTime(row.resetsAt) : row.limit === "PARALLEL" ? "as calls end" : "never"}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

type DryRun = NonNullable<KeyAdmissionQuery["keyAdmission"]["dryRun"]>;

/** "Would be admitted", or the first rule that would refuse and its message. */
export function DryRunResult({ dryRun }: { dryRun: DryRun }) {
  const target = dryRun.modelGroup && dryRun.modelGroup !== dryRun.model ? `${dryRun.model} (${dryRun.modelGroup})` : dryRun.model;
  if (dryRun.admitted) {
    return (
      <div role="status" className="rounded-md border border-emerald-300 bg-emerald-50 px-3 py-2 text-sm text-emerald-900 dark:border-emerald-800 dark:bg-emerald-950 dark:text-emerald-100">
        <p className="font-medium">Would be admitted</p>
        <p className="mt-1">
          A call to {target} with {formatCount(dryRun.estimatedTokens)} input and up to {formatCount(dryRun.maxOutputTokens)} output
          tokens passes every limit; it would reserve {formatMoney(dryRun.reserve)}.
        </p>
      </div>
    );
  }
  const refusal = dryRun.refusal;
  return (
    <div role="status" className="rounded-md border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-900 dark:border-red-800 dark:bg-red-950 dark:text-red-100">
      <p className="font-medium">Would be refused</p>
      {refusal && (
        <dl className="mt-1 grid grid-cols-[max-content_1fr] gap-x-3 gap-y-1">
          <dt className="font-medium">Rule</dt>
          <dd>
            <code className="font-mono">{refusal.code}</code>
            {refusal.level && <> at {levelLabel(refusal.level)}</>}
            {refusal.limit && <> · {LIMIT_LABELS[refusal.limit]}</>}
          </dd>
          <dt className="font-medium">Message</dt>
          <dd className="break-words">{refusal.message}</dd>
          {refusal.retryAfterSeconds !== null && refusal.retryAfterSeconds !== undefined && (
            <>
              <dt className="font-medium">Retry after</dt>
              <dd>{Math.ceil(refusal.retryAfterSeconds)} s</dd>
            </>
          )}
        </dl>
      )}
    </div>
  );
}
