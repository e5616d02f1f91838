import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";

import { formatCompact, formatMoney } from "../../../lib/format";
import { bucketLabel } from "../../../lib/period";

export interface UsageDay {
  label: string | null;
  cost: string;
  promptTokens: number;
  completionTokens: number;
}

const AXIS = { fill: "currentColor", fontSize: 12 };
const TOOLTIP = { background: "#0f172a", border: "none", color: "white", borderRadius: 6 };

/** Spend per UTC day (or local hour) beside tokens (input and output stacked). */
export function UsageCharts({ days, hourly = false }: { days: UsageDay[]; hourly?: boolean }) {
  const per = hourly ? "hour" : "day";
  const points = days.map((d) => ({
    day: bucketLabel(d.label, hourly),
    cost: Number(d.cost),
    input: d.promptTokens,
    output: d.completionTokens,
  }));
  return (
    <div className="grid grid-cols-2 gap-4 text-slate-600 max-[1100px]:grid-cols-1 dark:text-slate-400">
      <figure aria-label={`Spend per ${per}`} className="h-56">
        <figcaption className="mb-1 text-xs font-medium">Spend per {per}</figcaption>
        <ResponsiveContainer width="100%" height="90%">
          <BarChart data={points}>
            <CartesianGrid strokeDasharray="3 3" stroke="currentColor" strokeOpacity={0.2} vertical={false} />
            <XAxis dataKey="day" tick={AXIS} stroke="currentColor" />
            <YAxis width={64} tick={AXIS} stroke="currentColor" tickFormatter={(v: number) => formatMoney(v)} />
            <Tooltip contentStyle={TOOLTIP} labelStyle={{ color: "white" }} itemStyle={{ color: "white" }} formatter={(v) => [formatMoney(Number(v)), "Spend"]} />
            <Bar dataKey="cost" fill="#6366f1" radius={[3, 3, 0, 0]} isAnimationActive={false} />
          </BarChart>
        </ResponsiveContainer>
      </figure>
      <figure aria-label={`Tokens per ${per}`} className="h-56">
        <figcaption className="mb-1 text-xs font-medium">Tokens per {per}</figcaption>
        <ResponsiveContainer width="100%" height="90%">
          <BarChart data={points}>
            <CartesianGrid strokeDasharray="3 3" stroke="currentColor" strokeOpacity={0.2} vertical={false} />
            <XAxis dataKey="day" tick={AXIS} stroke="currentColor" />
            <YAxis width={48} tick={AXIS} stroke="currentColor" tickFormatter={(v: number) => formatCompact(v)} />
            <Tooltip contentStyle={TOOLTIP} labelStyle={{ color: "white" }} itemStyle={{ color: "white" }} />
            <Legend wrapperStyle={{ fontSize: 12 }} />
            <Bar dataKey="input" name="Input" stackId="t" fill="#0ea5e9" isAnimationActive={false} />
            <Bar dataKey="output" name="Output" stackId="t" fill="#a855f7" radius={[3, 3, 0, 0]} isAnimationActive={false} />
          </BarChart>
        </ResponsiveContainer>
      </figure>
    </div>
  );
}
