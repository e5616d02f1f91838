import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";

import { key } from "../../../test/fixtures";
import { KeysTable } from "./KeysTable";

describe("KeysTable", () => {
  it("shows each key's status, limits and models, truncating long text with a tooltip", () => {
    const long = "a-very-long-alias-".repeat(10);
    render(
      <KeysTable
        keys={[
          key({ id: "k1", alias: long, models: ["gpt-4o", "claude-3-5-sonnet", "demo"], rpmLimit: 60, maxBudget: "5", spend: "1.25" }),
          key({ id: "k2", alias: "blocked-one", blocked: true }),
          key({ id: "k3", alias: "old", expiresAt: "2020-01-01T00:00:00Z" }),
        ]}
        onAction={() => {}}
      />,
    );
    const rows = screen.getAllByRole("row").slice(1);
    expect(rows).toHaveLength(3);
    const first = within(rows[0] as HTMLElement);
    expect(first.getByTitle(long)).toHaveClass("truncate");
    expect(first.getByTitle("gpt-4o, claude-3-5-sonnet, demo")).toHaveClass("truncate");
    expect(first.getByText("60 rpm")).toBeInTheDocument();
    expect(first.getByText("active")).toBeInTheDocument();
    expect(within(rows[1] as HTMLElement).getByText("blocked")).toBeInTheDocument();
    expect(within(rows[2] as HTMLElement).getByText("expired")).toBeInTheDocument();
  });

  it("shows a key's guardrails as badges and what its requests may change", () => {
    render(
      <KeysTable
        keys={[
          key({ id: "k1", alias: "guarded", guardrails: ["pii-mask", "injection"], allowRequestGuardrails: true, allowedCacheControls: ["ttl", "no-cache"] }),
          key({ id: "k2", alias: "plain" }),
        ]}
        onAction={() => {}}
      />,
    );
    const badges = screen.getByRole("list", { name: "Guardrails of guarded" });
    expect(within(badges).getAllByRole("listitem").map((li) => li.textContent)).toEqual(["pii-mask", "injection"]);
    const rows = screen.getAllByRole("row").slice(1);
    expect(within(rows[0] as HTMLElement).getByText("+ request guardrails")).toBeInTheDocument();
    expect(within(rows[0] as HTMLElement).getByText("cache: ttl, no-cache")).toBeInTheDocument();
    expect(screen.queryByRole("list", { name: "Guardrails of plain" })).not.toBeInTheDocument();
  });

  it("offers the actions of a key through its menu", async () => {
    const onAction = vi.fn();
    const row = key({ alias: "svc" });
    render(<KeysTable keys={[row]} onAction={onAction} />);
    await userEvent.click(screen.getByRole("button", { name: "Actions for svc" }));
    await userEvent.click(await screen.findByRole("menuitem", { name: "Revoke" }));
    expect(onAction).toHaveBeenCalledWith("revoke", row);
  });

  it("offers no actions on a revoked key", () => {
    render(<KeysTable keys={[key({ alias: "gone", revoked: true })]} onAction={() => {}} />);
    expect(screen.queryByRole("button", { name: "Actions for gone" })).not.toBeInTheDocument();
  });
});
