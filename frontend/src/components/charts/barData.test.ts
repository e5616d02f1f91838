import { describe, expect, it } from "vitest";

import { stackedTops, summarise } from "./barData";

const money = (v: number): string => `$${v.toFixed(2)}`;

describe("stackedTops", () => {
  it("gives each series' top edge: the running sum of the series below and itself", () => {
    const tops = stackedTops([
      { name: "Input", values: [1, 0, 5], color: "a" },
      { name: "Output", values: [2, 3, 0], color: "b" },
    ]);
    expect(tops).toEqual([
      [1, 0, 5],
      [3, 3, 5],
    ]);
  });

  it("leaves a single series as it is", () => {
    expect(stackedTops([{ name: "Spend", values: [0.5, 2], color: "a" }])).toEqual([[0.5, 2]]);
  });
});

describe("summarise", () => {
  it("names the range, the total and the highest bar, summing stacked series", () => {
    const text = summarise(
      "Tokens per day",
      {
        labels: ["11-30", "12-01", "12-02"],
        series: [
          { name: "Input", values: [1, 4, 2], color: "a" },
          { name: "Output", values: [1, 1, 5], color: "b" },
        ],
      },
      money,
    );
    expect(text).toBe("Tokens per day, 11-30 to 12-02: $14.00 in all, highest 12-02 at $7.00");
  });

  it("says when there is nothing to draw", () => {
    expect(summarise("Spend per day", { labels: [], series: [] }, money)).toBe("Spend per day: no data");
  });
});
