import { describe, expect, it } from "vitest";

import { createInput, EMPTY_KEY_FORM, payloadErrors, updateInput, validateKeyForm } from "./keyForm";

const NOW = new Date("2026-12-02T12:00:00Z");

describe("validateKeyForm", () => {
  it("accepts an empty form: every limit is optional", () => {
    expect(validateKeyForm(EMPTY_KEY_FORM, NOW)).toEqual({});
  });

  it("names each field that is wrong", () => {
    const errors = validateKeyForm(
      {
        ...EMPTY_KEY_FORM,
        alias: "x".repeat(201),
        maxBudget: "-5",
        budgetDuration: "weekly",
        rpmLimit: "1.5",
        tpmLimit: "lots",
        maxParallelRequests: "-1",
        expiresAt: "2020-01-01T00:00",
      },
      NOW,
    );
    expect(Object.keys(errors).sort()).toEqual(
      ["alias", "budgetDuration", "expiresAt", "maxBudget", "maxParallelRequests", "rpmLimit", "tpmLimit"].sort(),
    );
  });

  it("wants a budget for a budget period, and a soft budget below the budget", () => {
    expect(validateKeyForm({ ...EMPTY_KEY_FORM, budgetDuration: "30d" }, NOW).budgetDuration).toMatch(/needs a budget/);
    expect(validateKeyForm({ ...EMPTY_KEY_FORM, maxBudget: "10", softBudget: "20" }, NOW).softBudget).toMatch(/exceeds/);
    expect(validateKeyForm({ ...EMPTY_KEY_FORM, maxBudget: "10", softBudget: "8", budgetDuration: "1mo" }, NOW)).toEqual({});
  });
});

describe("inputs", () => {
  it("turns the form into the mutation's input, lists split and blanks as null", () => {
    const values = {
      ...EMPTY_KEY_FORM,
      alias: " svc ",
      teamId: "t1",
      models: "gpt-4o, demo, , demo",
      maxBudget: "12.50",
      rpmLimit: "60",
      tags: "prod,billing",
    };
    expect(createInput(values)).toEqual({
      alias: "svc",
      teamId: "t1",
      userId: null,
      models: ["gpt-4o", "demo"],
      maxBudget: "12.50",
      softBudget: null,
      budgetDuration: null,
      rpmLimit: 60,
      tpmLimit: null,
      maxParallelRequests: null,
      expiresAt: null,
      tags: ["prod", "billing"],
    });
    expect(updateInput(values)).not.toHaveProperty("teamId");
  });

  it("adds the policy only when asked: the API refuses it to those who do not manage the team", () => {
    const values = {
      ...EMPTY_KEY_FORM,
      guardrails: ["pii-mask", "injection", "pii-mask"],
      allowRequestGuardrails: true,
      allowedCacheControls: ["no-store", "ttl"],
    };
    expect(createInput(values)).not.toHaveProperty("guardrails");
    expect(updateInput(values)).not.toHaveProperty("allowedCacheControls");
    expect(updateInput(values)).not.toHaveProperty("allowRequestGuardrails");
    expect(createInput(values, true)).toMatchObject({
      guardrails: ["pii-mask", "injection"],
      allowRequestGuardrails: true,
      allowedCacheControls: ["ttl", "no-store"],
    });
    // Cleared on edit: empty lists, not omitted.
    expect(updateInput(EMPTY_KEY_FORM, true)).toMatchObject({ guardrails: [], allowRequestGuardrails: false, allowedCacheControls: [] });
  });

  it("places the API's payload errors on their fields, the rest on the form", () => {
    expect(
      payloadErrors([
        { field: "budgetDuration", message: "Invalid budget duration" },
        { field: "teamId", message: "no team t9" },
        { field: null, message: "Something else." },
        { field: "guardrails", message: "bad name" },
        { field: "allowedCacheControls", message: "unknown cache controls" },
      ]),
    ).toEqual({
      budgetDuration: "Invalid budget duration",
      teamId: "no team t9",
      form: "Something else.",
      guardrails: "bad name",
      allowedCacheControls: "unknown cache controls",
    });
  });
});
