import { cn } from "./cn";

/** How much of a limit is used, as a bar; amber from 80 %, red when nothing is left. */
export function UsageBar({ used, limit, label }: { used: number; limit: number; label: string }) {
  const ratio = limit > 0 ? Math.min(used / limit, 1) : 1;
  const tone = ratio >= 1 ? "bg-red-600" : ratio >= 0.8 ? "bg-amber-500" : "bg-indigo-600";
  return (
    <div
      role="meter"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={limit}
      aria-valuenow={Math.min(used, limit)}
      aria-valuetext={`${Math.round(ratio * 100)} % used`}
      className="h-2 w-full min-w-16 overflow-hidden rounded-full bg-slate-200 dark:bg-slate-700"
    >
      <div className={cn("h-full rounded-full", tone)} style={{ width: `${ratio * 100}%` }} />
    </div>
  );
}
