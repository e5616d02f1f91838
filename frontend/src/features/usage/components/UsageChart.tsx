import { useMemo } from "react";

import { BarChart } from "../../../components/charts/BarChart";
import { formatCompact, formatMoney } from "../../../lib/format";
import { bucketLabel } from "../../../lib/period";

export interface UsageDay {
  label: string | null;
  cost: string;
  promptTokens: number;
  completionTokens: number;
}

/** Spend per UTC day (or local hour) beside tokens (input and output stacked). */
export function UsageCharts({ days, hourly = false }: { days: UsageDay[]; hourly?: boolean }) {
  const per = hourly ? "hour" : "day";
  const unit = hourly ? "Hour" : "Day";
  const [spend, tokens] = useMemo(() => {
    const labels = days.map((d) => bucketLabel(d.label, hourly));
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
  }, [days, hourly]);
  return (
    <div className="grid grid-cols-2 gap-4 max-[1100px]:grid-cols-1">
      <BarChart title={`Spend per ${per}`} unit={unit} data={spend} format={formatMoney} height={208} />
      <BarChart title={`Tokens per ${per}`} unit={unit} data={tokens} format={formatCompact} height={208} />
    </div>
  );
}
