import { useState } from "react";
import { Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";

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
  const points = days.map((d) => ({ day: bucketLabel(d.label, hourly), cost: Number(d.cost), requests: d.requests }));
  const per = hourly ? "hour" : "day";
  const format = (v: number): string => (metric === "cost" ? formatMoney(v) : formatCount(v));
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
      <figure aria-label={metric === "cost" ? `Spend per ${per}` : `Requests per ${per}`} className="h-64 w-full text-slate-600 dark:text-slate-400">
        <ResponsiveContainer width="100%" height="100%">
          <BarChart data={points} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
            <CartesianGrid strokeDasharray="3 3" stroke="currentColor" strokeOpacity={0.2} vertical={false} />
            <XAxis dataKey="day" tick={{ fill: "currentColor", fontSize: 12 }} stroke="currentColor" />
            <YAxis
              width={64}
              allowDecimals={metric === "cost"}
              tick={{ fill: "currentColor", fontSize: 12 }}
              stroke="currentColor"
              tickFormatter={format}
            />
            <Tooltip
              formatter={(value) => [format(Number(value)), metric === "cost" ? "Spend" : "Requests"]}
              contentStyle={{ background: "#0f172a", border: "none", color: "white", borderRadius: 6 }}
              labelStyle={{ color: "white" }}
              itemStyle={{ color: "white" }}
            />
            <Bar dataKey={metric} fill="#6366f1" radius={[3, 3, 0, 0]} isAnimationActive={false} />
          </BarChart>
        </ResponsiveContainer>
      </figure>
    </div>
  );
}
