import { render, screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import { BreakdownTable } from "./BreakdownTable";

const totals = { cost: "1.5", requests: 3, promptTokens: 30, completionTokens: 9 };

describe("breakdown table", () => {
  it("names keys, teams and users, keeping the id at hand, and falls back to the id", () => {
    render(
      <BreakdownTable
        dimension="Key"
        rows={[
          { label: "k1", name: "billing", ...totals },
          { label: "k-gone", name: null, ...totals },
          { label: null, name: null, ...totals },
        ]}
      />,
    );
    const rows = within(screen.getByRole("table", { name: "Spend by key" })).getAllByRole("row").slice(1);
    expect(rows.map((r) => within(r).getAllByRole("cell")[0]!.textContent)).toEqual(["billing", "k-gone", "—"]);
    expect(within(rows[0]!).getAllByRole("cell")[0]).toHaveAttribute("title", "billing (k1)");
  });
});
