import type { DashboardBudgetsQuery } from "../../gql/graphql";

export interface BudgetUse {
  kind: "Key" | "Team" | "Organization";
  id: string;
  name: string;
  spend: number;
  budget: number;
  ratio: number;
}

export const BUDGET_WARNING = 0.8;

function use(kind: BudgetUse["kind"], id: string, name: string, spend: string, budget: string | null): BudgetUse | null {
  if (budget === null) return null;
  const max = Number(budget);
  const spent = Number(spend);
  if (!(max > 0)) return null;
  return { kind, id, name, spend: spent, budget: max, ratio: spent / max };
}

/** Keys, teams and organizations that have used at least 80 % of their budget, worst first. */
export function budgetsNearLimit(data: DashboardBudgetsQuery): BudgetUse[] {
  const all: Array<BudgetUse | null> = [];
  for (const { node } of data.keys.edges) {
    if (node.revoked) continue;
    all.push(use("Key", node.id, node.alias ?? node.keyDisplay, node.spend, node.maxBudget));
  }
  for (const { node: org } of data.organizations.edges) {
    all.push(use("Organization", org.id, org.name, org.spend, org.maxBudget));
    for (const team of org.teams) all.push(use("Team", team.id, team.name, team.spend, team.maxBudget));
  }
  return all
    .filter((u): u is BudgetUse => u !== null && u.ratio >= BUDGET_WARNING)
    .sort((a, b) => b.ratio - a.ratio);
}
