import "uplot/dist/uPlot.min.css";

import { useEffect, useRef, useState } from "react";
import uPlot from "uplot";

import { stackedTops, summarise, type BarChartData } from "./barData";

export type { BarChartData, BarSeries } from "./barData";

interface Props {
  title: string;
  data: BarChartData;
  format: (value: number) => string;
  height?: number;
  /** What one bar stands for, named in the legend and the table. */
  unit?: string;
}

function themeColors(el: HTMLElement): { text: string; grid: string } {
  const dark = document.documentElement.classList.contains("dark");
  return { text: getComputedStyle(el).color, grid: dark ? "rgba(148, 163, 184, 0.22)" : "rgba(100, 116, 139, 0.25)" };
}

/**
 * Bars on a canvas (uPlot, ~20 KB gzipped: the dashboard's chart loads with its totals).
 * The values at the pointer show in the legend; screen readers get a summary and the table.
 */
export function BarChart({ title, data, format, height = 240, unit = "Day" }: Props) {
  const box = useRef<HTMLDivElement>(null);
  const [redraw, setRedraw] = useState(0);

  useEffect(() => {
    const el = box.current;
    if (!el) return undefined;
    const { labels, series } = data;
    const tops = stackedTops(series);
    const { text, grid } = themeColors(el);
    const bars = uPlot.paths.bars?.({ size: [0.7, 56], gap: 2 });
    const axis = { stroke: text, grid: { stroke: grid, width: 1, dash: [3, 3] }, ticks: { show: false } };
    const options: uPlot.Options = {
      width: Math.max(el.clientWidth, 200),
      height,
      padding: [8, 8, 0, 0],
      cursor: { points: { show: false }, drag: { x: false, y: false } },
      legend: { live: true },
      scales: { x: { time: false, range: [-0.5, Math.max(labels.length - 0.5, 0.5)] }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.08 : 1] } },
      axes: [
        {
          ...axis,
          grid: { show: false },
          values: (_u, splits) => splits.map((i) => (Number.isInteger(i) ? (labels[i] ?? "") : "")),
          incrs: [1, 2, 3, 4, 6, 12, 24],
        },
        { ...axis, size: 72, values: (_u, splits) => splits.map((v) => format(v)) },
      ],
      series: [
        { label: unit, value: (_u, i) => (i == null ? "" : (labels[i] ?? "")) },
        // Drawn top series first, so each lower series paints over its share of the bar.
        ...series
          .map((s, index) => ({
            label: s.name,
            fill: s.color,
            stroke: s.color,
            width: 0,
            ...(bars ? { paths: bars } : {}),
            points: { show: false },
            value: (_u: uPlot, _v: number | null, _s: number, i: number | null) =>
              i == null ? "—" : format(s.values[i] ?? 0),
            index,
          }))
          .reverse()
          .map(({ index: _index, ...s }) => s),
      ],
    };
    const aligned: uPlot.AlignedData = [labels.map((_, i) => i), ...[...tops].reverse()];
    const plot = new uPlot(options, aligned, el);
    const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(el.clientWidth, 200), height }));
    resize.observe(el);
    // Colours come from the theme: redraw when it changes.
    const theme = new MutationObserver(() => {
      const next = themeColors(el);
      if (next.text !== text || next.grid !== grid) setRedraw((n) => n + 1);
    });
    theme.observe(document.documentElement, { attributes: true, attributeFilter: ["class"] });
    return () => {
      theme.disconnect();
      resize.disconnect();
      plot.destroy();
    };
  }, [data, format, height, unit, redraw]);

  return (
    <figure aria-label={title} className="w-full text-slate-600 dark:text-slate-400">
      <div ref={box} role="img" aria-label={summarise(title, data, format)} className="deltallm-chart w-full" />
      <table className="sr-only">
        <caption>{title}</caption>
        <thead>
          <tr>
            <th scope="col">{unit}</th>
            {data.series.map((s) => (
              <th scope="col" key={s.name}>{s.name}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {data.labels.map((label, i) => (
            <tr key={label}>
              <th scope="row">{label}</th>
              {data.series.map((s) => (
                <td key={s.name}>{format(s.values[i] ?? 0)}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}
