// The data side of the console's bar charts, kept apart from the canvas so it can be tested
// without one.

export interface BarSeries {
  name: string;
  values: number[];
  color: string;
}

export interface BarChartData {
  /** One label per bar (a day, an hour). */
  labels: string[];
  /** One series, or several stacked in the order given (the first at the bottom). */
  series: BarSeries[];
}

/**
 * What the canvas draws for stacked series: each series' top edge (the running sum of the
 * series below it and itself). Drawn from the top series down, each bar covers the part of the
 * one before it that belongs to the series beneath.
 */
export function stackedTops(series: BarSeries[]): number[][] {
  const tops: number[][] = [];
  let below: number[] = [];
  for (const { values } of series) {
    const top = values.map((v, i) => v + (below[i] ?? 0));
    tops.push(top);
    below = top;
  }
  return tops;
}

/** A sentence for screen readers and the figure's label: the range and the busiest bar. */
export function summarise(title: string, data: BarChartData, format: (v: number) => string): string {
  const { labels } = data;
  if (labels.length === 0) return `${title}: no data`;
  const totals = labels.map((_, i) => data.series.reduce((sum, s) => sum + (s.values[i] ?? 0), 0));
  let busiest = 0;
  totals.forEach((t, i) => {
    if (t > (totals[busiest] ?? 0)) busiest = i;
  });
  const sum = totals.reduce((a, b) => a + b, 0);
  return (
    `${title}, ${labels[0]} to ${labels[labels.length - 1]}: ${format(sum)} in all, ` +
    `highest ${labels[busiest]} at ${format(totals[busiest] ?? 0)}`
  );
}
