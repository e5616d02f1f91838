import type { BudgetKind } from "../../gql/graphql";

export const KIND_LABEL: Record<BudgetKind, string> = {
  KEY: "Key",
  USER: "User",
  TEAM: "Team",
  ORGANIZATION: "Organization",
};

const UNITS: Record<string, [string, string]> = {
  s: ["second", "seconds"],
  m: ["minute", "minutes"],
  h: ["hour", "hours"],
  d: ["day", "days"],
  mo: ["month", "months"],
};

/** A budget period ("1d", "7d", "1mo") in words: "per day", "per 7 days"; never resets: null. */
export function periodLabel(duration: string | null): string | null {
  if (duration === null) return null;
  const match = /^(\d+)(mo|s|m|h|d)$/.exec(duration);
  const names = match ? UNITS[match[2] ?? ""] : undefined;
  if (!match || !names) return `per ${duration}`;
  const count = Number(match[1]);
  return count === 1 ? `per ${names[0]}` : `per ${count} ${names[1]}`;
}

/** The share of the budget spent (1 = all of it). */
export function spentShare(use: { spend: string; maxBudget: string }): number {
  const max = Number(use.maxBudget);
  return max > 0 ? Number(use.spend) / max : 1;
}
