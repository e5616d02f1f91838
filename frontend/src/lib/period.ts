import { useCallback, useMemo } from "react";
import { useSearchParams } from "react-router";

// The period picker's state lives in the URL (?period=7d, or ?period=custom&from=&to=), so the
// dashboard and usage pages share it and a link reproduces the view.
//
// Spend aggregates are kept per UTC day, so a period is a range of whole UTC days (both ends
// included) and request-log figures use the same instants: both pages add up the same rows.

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
}

const DAY_MS = 86_400_000;
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
  return {
    kind,
    start,
    end,
    startAt: `${start}T00:00:00.000Z`,
    endAt: new Date(Date.parse(`${addDays(end, 1)}T00:00:00Z`) - 1).toISOString(),
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
