import { describe, expect, it } from "vitest";

import { periodLabel, spentShare } from "./budgets";

describe("budget periods", () => {
  it("names the period in words", () => {
    expect(periodLabel("1d")).toBe("per day");
    expect(periodLabel("7d")).toBe("per 7 days");
    expect(periodLabel("1mo")).toBe("per month");
    expect(periodLabel("3mo")).toBe("per 3 months");
    expect(periodLabel("30m")).toBe("per 30 minutes");
    expect(periodLabel("1h")).toBe("per hour");
  });

  it("has no period for a budget that never resets, and shows an unknown one as it is", () => {
    expect(periodLabel(null)).toBeNull();
    expect(periodLabel("2w")).toBe("per 2w");
  });
});

describe("spent share", () => {
  it("divides spend by budget, exact decimals as strings", () => {
    expect(spentShare({ spend: "9", maxBudget: "10" })).toBeCloseTo(0.9);
    expect(spentShare({ spend: "12.5", maxBudget: "10" })).toBeCloseTo(1.25);
  });
});
