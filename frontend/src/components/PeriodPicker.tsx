import { useState, type FormEvent } from "react";

import { PRESET_LABELS, PRESETS, usePeriod } from "../lib/period";
import { Button } from "./ui/Button";
import { cn } from "./ui/cn";
import { inputClass } from "./ui/Field";

/** 24 h, 7 days, 30 days or custom whole UTC days; kept in the URL and shared between pages. */
export function PeriodPicker() {
  const { period, setPreset, setCustom } = usePeriod();
  const [editing, setEditing] = useState(period.kind === "custom");
  const [from, setFrom] = useState(period.start);
  const [to, setTo] = useState(period.end);
  const [error, setError] = useState<string | undefined>();

  function apply(event: FormEvent): void {
    event.preventDefault();
    if (!from || !to) setError("Pick both days.");
    else if (from > to) setError("The first day is after the last.");
    else {
      setError(undefined);
      setCustom(from, to);
    }
  }

  return (
    <div className="flex flex-wrap items-center gap-2">
      <div role="group" aria-label="Period" className="inline-flex rounded-md border border-slate-300 dark:border-slate-600">
        {PRESETS.map((kind) => (
          <button
            key={kind}
            type="button"
            aria-pressed={period.kind === kind}
            onClick={() => {
              setEditing(false);
              setPreset(kind);
            }}
            className={cn(
              "px-3 py-1.5 text-sm first:rounded-l-md",
              period.kind === kind
                ? "bg-indigo-600 text-white"
                : "bg-white text-slate-700 hover:bg-slate-50 dark:bg-slate-800 dark:text-slate-200 dark:hover:bg-slate-700",
            )}
          >
            {PRESET_LABELS[kind]}
          </button>
        ))}
        <button
          type="button"
          aria-pressed={period.kind === "custom"}
          onClick={() => setEditing(true)}
          className={cn(
            "rounded-r-md px-3 py-1.5 text-sm",
            period.kind === "custom"
              ? "bg-indigo-600 text-white"
              : "bg-white text-slate-700 hover:bg-slate-50 dark:bg-slate-800 dark:text-slate-200 dark:hover:bg-slate-700",
          )}
        >
          {PRESET_LABELS.custom}
        </button>
      </div>
      {editing && (
        <form onSubmit={apply} className="flex items-center gap-2" aria-label="Custom period">
          <label className="sr-only" htmlFor="period-from">First day (UTC)</label>
          <input id="period-from" type="date" className={cn(inputClass, "w-40 py-1.5")} value={from} onChange={(e) => setFrom(e.target.value)} />
          <span aria-hidden>–</span>
          <label className="sr-only" htmlFor="period-to">Last day (UTC)</label>
          <input id="period-to" type="date" className={cn(inputClass, "w-40 py-1.5")} value={to} onChange={(e) => setTo(e.target.value)} />
          <Button type="submit" size="sm" variant="secondary">Apply</Button>
          {error && <span role="alert" className="text-xs text-red-700 dark:text-red-400">{error}</span>}
        </form>
      )}
      <span className="text-xs text-slate-600 dark:text-slate-400">
        {period.hourly
          ? "The last 24 hours (your time zone)"
          : `${period.start === period.end ? period.start : `${period.start} → ${period.end}`} (UTC days)`}
      </span>
    </div>
  );
}
