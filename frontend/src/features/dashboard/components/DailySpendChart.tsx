import { Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";

import { formatMoney } from "../../../lib/format";

export interface DailyPoint {
  label: string | null;
  cost: string;
  requests: number;
}

/** Spend per UTC day; the table beside it carries the same numbers for screen readers. */
export function DailySpendChart({ days }: { days: DailyPoint[] }) {
  const points = days.map((d) => ({ day: (d.label ?? "").slice(5), cost: Number(d.cost), requests: d.requests }));
  return (
    <figure aria-label="Daily spend chart" className="h-64 w-full text-slate-600 dark:text-slate-400">
      <ResponsiveContainer width="100%" height="100%">
        <BarChart data={points} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
          <CartesianGrid strokeDasharray="3 3" stroke="currentColor" strokeOpacity={0.2} vertical={false} />
          <XAxis dataKey="day" tick={{ fill: "currentColor", fontSize: 12 }} stroke="currentColor" />
          <YAxis
            width={64}
            tick={{ fill: "currentColor", fontSize: 12 }}
            stroke="currentColor"
            tickFormatter={(v: number) => formatMoney(v)}
          />
          <Tooltip
            formatter={(value) => [formatMoney(Number(value)), "Spend"]}
            contentStyle={{ background: "var(--color-slate-900)", border: "none", color: "white", borderRadius: 6 }}
          />
          <Bar dataKey="cost" name="Spend" fill="#6366f1" radius={[3, 3, 0, 0]} isAnimationActive={false} />
        </BarChart>
      </ResponsiveContainer>
    </figure>
  );
}
