import { useMemo } from "react";

import { BarChart } from "../../../components/charts/BarChart";
import { formatCompact, formatMoney } from "../../../lib/format";

export interface UsageDay {
  label: string | null;
  cost: string;
  promptTokens: number;
  completionTokens: number;
}

/** Spend per UTC day beside tokens per day (input and output stacked). */
export function UsageCharts({ days }: { days: UsageDay[] }) {
  const [spend, tokens] = useMemo(() => {
    const labels = days.map((d) => (d.label ?? "").slice(5));
    return [
      { labels, series: [{ name: "Spend", values: days.map((d) => Number(d.cost)), color: "#6366f1" }] },
      {
        labels,
        series: [
          { name: "Input", values: days.map((d) => d.promptTokens), color: "#0ea5e9" },
          { name: "Output", values: days.map((d) => d.completionTokens), color: "#a855f7" },
        ],
      },
    ];
  }, [days]);
  return (
    <div className="grid grid-cols-2 gap-4 max-[1100px]:grid-cols-1">
      <BarChart title="Spend per day" data={spend} format={formatMoney} height={208} />
      <BarChart title="Tokens per day" data={tokens} format={formatCompact} height={208} />
    </div>
  );
}
