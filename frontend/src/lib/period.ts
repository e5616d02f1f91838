import { useCallback, useMemo } from "react";
import { useSearchParams } from "react-router";

// The period picker's state lives in the URL (?period=7d, or ?period=custom&from=&to=), so the
// dashboard and usage pages share it and a link reproduces the view.
//
// How a period maps to queries (the dashboard and usage pages use the same mapping, so they
// add up the same rows and agree on totals):
// - 7 d, 30 d and custom: whole UTC days, both ends included (`start`..`end`), read from the
//   daily totals (spendTotals, dailySpend, spendBreakdown); request-log figures (requestStats,
//   requestLogs) cover the same instants, `from` to `until` (excluded).
// - 24 h: the last 24 hours in the viewer's time zone: `from` is the start of the local hour
//   23 hours before the current one and `until` the end of the current local hour; spend per
//   hour (hourlySpend) and the totals (requestStats) read the request log over exactly those
//   instants, bucketed by local hour because the buckets count from `from`; so do the
//   breakdowns (requestBreakdown instead of spendBreakdown).

export const PRESETS = ["24h", "7d", "30d"] as const;
export type Preset = (typeof PRESETS)[number];
export type PeriodKind = Preset | "custom";

export const PRESET_LABELS: Record<PeriodKind, string> = {
  "24h": "24 h",
  "7d": "7 days",
  "30d": "30 days",
  custom: "Custom",
};
const PRESET_DAYS: Record<Preset, number> = { "24h": 1, "7d": 7, "30d": 30 };

export interface Period {
  kind: PeriodKind;
  /** First UTC day (YYYY-MM-DD), included. */
  start: string;
  /** Last UTC day (YYYY-MM-DD), included. */
  end: string;
  /** The instants the days cover, for DateTime filters. */
  startAt: string;
  endAt: string;
  /** True for 24 h: figures from the request log over `from`..`until`, per local hour. */
  hourly: boolean;
  /** The period's first instant (ISO 8601, UTC). */
  from: string;
  /** The instant after the period (excluded). */
  until: string;
}

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const ISO_DAY = /^\d{4}-\d{2}-\d{2}$/;

export function utcDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

function addDays(day: string, days: number): string {
  return utcDay(new Date(Date.parse(`${day}T00:00:00Z`) + days * DAY_MS));
}

/** The period named by `params`, relative to `now`; unknown values fall back to 7 days. */
export function periodFrom(params: URLSearchParams, now: Date = new Date()): Period {
  const today = utcDay(now);
  const raw = params.get("period");
  let kind: PeriodKind = raw === "custom" || PRESETS.includes(raw as Preset) ? (raw as PeriodKind) : "7d";
  let start: string;
  let end = today;
  if (kind === "custom") {
    const from = params.get("from") ?? "";
    const to = params.get("to") ?? "";
    if (ISO_DAY.test(from) && ISO_DAY.test(to) && from <= to) {
      start = from;
      end = to;
    } else {
      kind = "7d";
      start = addDays(today, -6);
    }
  } else {
    // "24 h" covers yesterday and today: the smallest span of whole days holding the last 24 h.
    start = addDays(today, kind === "24h" ? -1 : -(PRESET_DAYS[kind] - 1));
  }
  const dayAfter = Date.parse(`${addDays(end, 1)}T00:00:00Z`);
  let from = `${start}T00:00:00.000Z`;
  let until = new Date(dayAfter).toISOString();
  if (kind === "24h") {
    const hour = new Date(now);
    hour.setMinutes(0, 0, 0); // the local hour: zones with half-hour offsets included
    until = new Date(hour.getTime() + HOUR_MS).toISOString();
    from = new Date(hour.getTime() - 23 * HOUR_MS).toISOString();
  }
  return {
    kind,
    start,
    end,
    startAt: `${start}T00:00:00.000Z`,
    endAt: new Date(dayAfter - 1).toISOString(),
    hourly: kind === "24h",
    from,
    until,
  };
}

export function usePeriod(): {
  period: Period;
  setPreset: (kind: Preset) => void;
  setCustom: (from: string, to: string) => void;
} {
  const [params, setParams] = useSearchParams();
  const period = useMemo(() => periodFrom(params), [params]);
  const setPreset = useCallback(
    (kind: Preset) =>
      setParams((prev) => {
        const next = new URLSearchParams(prev);
        next.set("period", kind);
        next.delete("from");
        next.delete("to");
        return next;
      }),
    [setParams],
  );
  const setCustom = useCallback(
    (from: string, to: string) =>
      setParams((prev) => {
        const next = new URLSearchParams(prev);
        next.set("period", "custom");
        next.set("from", from);
        next.set("to", to);
        return next;
      }),
    [setParams],
  );
  return { period, setPreset, setCustom };
}

/** A chart bucket's label: "MM-DD" for a UTC day, the local "HH:MM" for an hour (ISO instant). */
export function bucketLabel(label: string | null, hourly: boolean): string {
  if (!label) return "";
  if (!hourly) return label.slice(5);
  return new Date(label).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
}
