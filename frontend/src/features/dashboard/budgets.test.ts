import { describe, expect, it } from "vitest";

import type { DashboardBudgetsQuery } from "../../gql/graphql";
import { budgetsNearLimit } from "./budgets";

const data = {
  keys: {
    edges: [
      { node: { id: "k1", alias: "hot", keyDisplay: "sk-1", maxBudget: "10", spend: "9", revoked: false } },
      { node: { id: "k2", alias: null, keyDisplay: "sk-2", maxBudget: "10", spend: "12", revoked: false } },
      { node: { id: "k3", alias: "cool", keyDisplay: "sk-3", maxBudget: "10", spend: "2", revoked: false } },
      { node: { id: "k4", alias: "gone", keyDisplay: "sk-4", maxBudget: "10", spend: "10", revoked: true } },
      { node: { id: "k5", alias: "free", keyDisplay: "sk-5", maxBudget: null, spend: "500", revoked: false } },
    ],
  },
  organizations: {
    edges: [
      {
        node: {
          id: "o1",
          name: "Acme",
          maxBudget: "100",
          spend: "80",
          teams: [{ id: "t1", name: "Search", maxBudget: "0", spend: "1" }],
        },
      },
    ],
  },
} as unknown as DashboardBudgetsQuery;

describe("budgetsNearLimit", () => {
  it("lists what has used 80 % or more of a budget, worst first, skipping revoked keys and no budget", () => {
    expect(budgetsNearLimit(data).map((b) => [b.kind, b.name, b.ratio])).toEqual([
      ["Key", "sk-2", 1.2],
      ["Key", "hot", 0.9],
      ["Organization", "Acme", 0.8],
    ]);
  });
});
