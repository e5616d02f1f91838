import { describe, expect, it } from "vitest";

import { EMPTY_LIMITS_FORM, limitsInput, limitsPayloadErrors, validateLimitsForm } from "./limitsForm";

const ORG = { name: true, softBudget: true, models: true };
const TEAM = { name: true, softBudget: false, models: true };

describe("limits form", () => {
  it("needs a name and well-formed numbers", () => {
    expect(
      validateLimitsForm({ ...EMPTY_LIMITS_FORM, maxBudget: "ten", rpmLimit: "1.5", budgetDuration: "weekly" }, ORG),
    ).toEqual({
      name: "A name is required.",
      maxBudget: "A non-negative amount in dollars, like 25 or 12.50.",
      rpmLimit: "A whole number, 0 or more.",
      budgetDuration: "A number and a unit: 30m, 1h, 1d, 7d or 1mo.",
    });
  });

  it("refuses a soft budget above the budget, and a period without a budget", () => {
    expect(validateLimitsForm({ ...EMPTY_LIMITS_FORM, name: "a", maxBudget: "5", softBudget: "9" }, ORG)).toEqual({
      softBudget: "The soft budget exceeds the budget.",
    });
    expect(validateLimitsForm({ ...EMPTY_LIMITS_FORM, name: "a", budgetDuration: "30d" }, ORG)).toEqual({
      budgetDuration: "A budget period needs a budget.",
    });
  });

  it("sends every shown limit, emptied ones as null, and no soft budget for a team", () => {
    const values = { ...EMPTY_LIMITS_FORM, name: "t", maxBudget: " 20 ", rpmLimit: "60", models: "demo, gpt, demo" };
    expect(limitsInput(values, TEAM)).toEqual({
      maxBudget: "20",
      budgetDuration: null,
      rpmLimit: 60,
      tpmLimit: null,
      maxParallelRequests: null,
      models: ["demo", "gpt"],
    });
  });

  it("puts the API's errors on the field they name, the rest above the form", () => {
    expect(
      limitsPayloadErrors([
        { field: "maxBudget", message: "maxBudget must be between 0 and 1000000" },
        { field: null, message: "Nope." },
      ]),
    ).toEqual({ maxBudget: "maxBudget must be between 0 and 1000000", form: "Nope." });
    expect(limitsPayloadErrors([])).toBeNull();
  });
});
