import { render, screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import { AdmissionLevelKind, AdmissionLimit, type KeyAdmissionQuery } from "../../../gql/graphql";
import { admissionRows } from "../admission";
import { AdmissionLevelsTable, DryRunResult } from "./AdmissionView";

type Admission = KeyAdmissionQuery["keyAdmission"];

const keyLevel = { kind: AdmissionLevelKind.Key, ownerId: "k1", model: null };
const teamLevel = { kind: AdmissionLevelKind.Team, ownerId: "t1", model: null };

function admission(overrides: Partial<Admission> = {}): Admission {
  return {
    keyId: "k1",
    checkedAt: "2026-12-02T10:00:00Z",
    levels: [
      {
        ...keyLevel,
        rpm: { limit: 60, used: 12, remaining: 48, resetsAt: "2026-12-02T10:01:00Z" },
        tpm: null,
        parallel: null,
        budget: {
          maxBudget: "5",
          softBudget: null,
          budgetDuration: "30d",
          spent: "4.5",
          reserved: "0.5",
          remaining: "0",
          periodStart: "2026-12-01T00:00:00Z",
          resetsAt: "2026-12-31T00:00:00Z",
        },
      },
      { ...teamLevel, rpm: null, tpm: null, parallel: { limit: 4, inFlight: 1, remaining: 3 }, budget: null },
    ],
    tightest: [{ limit: AdmissionLimit.Budget, remaining: "0", level: keyLevel }],
    dryRun: null,
    ...overrides,
  } as Admission;
}

describe("why a call would be refused", () => {
  it("lists each limit in force with what is used and left, and highlights the tightest", () => {
    render(<AdmissionLevelsTable rows={admissionRows(admission())} />);
    const rows = screen.getAllByRole("row").slice(1);
    expect(rows).toHaveLength(3);
    const budget = within(screen.getByRole("row", { name: "Key Budget (tightest)" }));
    expect(budget.getByText("max $5.00")).toBeInTheDocument();
    expect(budget.getByRole("meter", { name: "Key budget used" })).toHaveAttribute("aria-valuetext", "100 % used");
    expect(within(rows[1] as HTMLElement).getByText("48")).toBeInTheDocument();
    expect(within(rows[2] as HTMLElement).getByText("Parallel requests")).toBeInTheDocument();
    expect(within(rows[2] as HTMLElement).queryByText("tightest")).not.toBeInTheDocument();
  });

  it("says when no limit applies", () => {
    render(<AdmissionLevelsTable rows={[]} />);
    expect(screen.getByText("No limit applies")).toBeInTheDocument();
  });

  it("names the first rule that would refuse a dry run, with its message", () => {
    render(
      <DryRunResult
        dryRun={{
          model: "demo",
          modelGroup: "demo",
          estimatedTokens: 1000,
          maxOutputTokens: 256,
          reserve: "0.01",
          admitted: false,
          refusal: {
            code: "budget_exceeded",
            message: "Key budget exceeded",
            limit: AdmissionLimit.Budget,
            retryAfterSeconds: null,
            level: keyLevel,
          },
        } as never}
      />,
    );
    const result = screen.getByRole("status");
    expect(result).toHaveTextContent("Would be refused");
    expect(result).toHaveTextContent("budget_exceeded at Key · Budget");
    expect(result).toHaveTextContent("Key budget exceeded");
  });

  it("says a call would be admitted and what it would reserve", () => {
    render(
      <DryRunResult
        dryRun={{ model: "demo", modelGroup: null, estimatedTokens: 10, maxOutputTokens: 20, reserve: "0.5", admitted: true, refusal: null } as never}
      />,
    );
    expect(screen.getByRole("status")).toHaveTextContent("Would be admitted");
    expect(screen.getByRole("status")).toHaveTextContent("$0.50");
  });
});
