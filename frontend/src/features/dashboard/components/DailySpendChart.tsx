import { useMemo, useState } from "react";

import { BarChart } from "../../../components/charts/BarChart";

import { cn } from "../../../components/ui/cn";
import { formatCount, formatMoney } from "../../../lib/format";
import { bucketLabel } from "../../../lib/period";

export interface DailyPoint {
  label: string | null;
  cost: string;
  requests: number;
}

type Metric = "cost" | "requests";

/** Spend (or requests) per UTC day, or per local hour when `hourly`. */
export function DailySpendChart({ days, hourly = false }: { days: DailyPoint[]; hourly?: boolean }) {
  const [metric, setMetric] = useState<Metric>("cost");
  const data = useMemo(
    () => ({
      labels: days.map((d) => bucketLabel(d.label, hourly)),
      series: [
        {
          name: metric === "cost" ? "Spend" : "Requests",
          values: days.map((d) => (metric === "cost" ? Number(d.cost) : d.requests)),
          color: "#6366f1",
        },
      ],
    }),
    [days, metric, hourly],
  );
  const format = metric === "cost" ? formatMoney : formatCount;
  return (
    <div>
      <div role="group" aria-label="Chart metric" className="mb-2 flex justify-end gap-1">
        {(["cost", "requests"] as const).map((m) => (
          <button
            key={m}
            type="button"
            aria-pressed={metric === m}
            onClick={() => setMetric(m)}
            className={cn(
              "rounded px-2 py-0.5 text-xs",
              metric === m
                ? "bg-indigo-100 text-indigo-900 dark:bg-indigo-900 dark:text-indigo-100"
                : "text-slate-700 hover:bg-slate-100 dark:text-slate-300 dark:hover:bg-slate-800",
            )}
          >
            {m === "cost" ? "Spend" : "Requests"}
          </button>
        ))}
      </div>
      <BarChart
        title={`${metric === "cost" ? "Spend" : "Requests"} per ${hourly ? "hour" : "day"}`}
        unit={hourly ? "Hour" : "Day"}
        data={data}
        format={format}
        height={256}
      />
    </div>
  );
}
