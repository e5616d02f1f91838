import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";

import { GuardrailMode } from "../../../gql/graphql";
import { EMPTY_KEY_FORM } from "../keyForm";
import { KeyForm, type KeyFormOptions } from "./KeyForm";

const OPTIONS: KeyFormOptions = {
  teams: [
    { id: "t1", name: "Search", orgId: "o1", orgName: "Acme", guardrails: [] },
    { id: "t2", name: "Billing", orgId: "o1", orgName: "Acme", guardrails: ["pii-mask"] },
  ],
  users: [{ id: "u1", email: "dev@example.com" }],
  models: ["demo", "gpt-4o"],
  guardrails: [
    { name: "pii-mask", mode: GuardrailMode.PreCall, defaultOn: false },
    { name: "injection", mode: GuardrailMode.PreCall, defaultOn: false },
    { name: "audit-all", mode: GuardrailMode.LoggingOnly, defaultOn: true },
  ],
};
const NO_POLICY = () => false;

describe("KeyForm", () => {
  it("checks the fields before sending anything", async () => {
    const onSubmit = vi.fn(async () => null);
    render(<KeyForm mode="create" initial={EMPTY_KEY_FORM} options={OPTIONS} onSubmit={onSubmit} onCancel={() => {}} maySetPolicy={NO_POLICY} />);
    await userEvent.type(screen.getByLabelText("Requests / minute"), "many");
    await userEvent.type(screen.getByLabelText("Budget period"), "30d");
    await userEvent.click(screen.getByRole("button", { name: "Create key" }));
    expect(onSubmit).not.toHaveBeenCalled();
    expect(screen.getByLabelText("Requests / minute")).toHaveAccessibleDescription("A whole number, 0 or more.");
    expect(screen.getByLabelText("Budget period")).toHaveAttribute("aria-invalid", "true");
  });

  it("sends the values and shows the API's refusal on the right field", async () => {
    const onSubmit = vi.fn(async () => ({ teamId: "You cannot create keys in this team." }));
    render(<KeyForm mode="create" initial={EMPTY_KEY_FORM} options={OPTIONS} onSubmit={onSubmit} onCancel={() => {}} maySetPolicy={NO_POLICY} />);
    await userEvent.type(screen.getByLabelText("Alias"), "svc");
    await userEvent.selectOptions(screen.getByLabelText("Team"), "t1");
    await userEvent.selectOptions(screen.getByLabelText("User"), "u1");
    await userEvent.click(screen.getByRole("button", { name: "Create key" }));
    expect(onSubmit).toHaveBeenCalledWith(expect.objectContaining({ alias: "svc", teamId: "t1", userId: "u1" }));
    expect(await screen.findByText("You cannot create keys in this team.")).toBeInTheDocument();
    expect(screen.getByLabelText("Team")).toHaveAccessibleDescription("You cannot create keys in this team.");
  });

  it("picks models the gateway serves by ticking them, keeping names typed by hand", async () => {
    const onSubmit = vi.fn(async () => null);
    const initial = { ...EMPTY_KEY_FORM, models: "openai/gpt-4o-mini" };
    render(<KeyForm mode="create" initial={initial} options={OPTIONS} onSubmit={onSubmit} onCancel={() => {}} maySetPolicy={NO_POLICY} />);
    const served = screen.getByRole("group", { name: "Models the gateway serves" });
    await userEvent.click(within(served).getByRole("checkbox", { name: "demo" }));
    await userEvent.click(within(served).getByRole("checkbox", { name: "gpt-4o" }));
    expect(screen.getByLabelText("Models")).toHaveValue("openai/gpt-4o-mini, demo, gpt-4o");
    await userEvent.click(within(served).getByRole("checkbox", { name: "demo" }));
    expect(within(served).getByRole("checkbox", { name: "demo" })).not.toBeChecked();
    await userEvent.click(screen.getByRole("button", { name: "Create key" }));
    expect(onSubmit).toHaveBeenCalledWith(expect.objectContaining({ models: "openai/gpt-4o-mini, gpt-4o" }));
  });

  it("edits without team or owner (they are fixed at creation)", () => {
    render(<KeyForm mode="edit" initial={EMPTY_KEY_FORM} options={OPTIONS} onSubmit={async () => null} onCancel={() => {}} maySetPolicy={NO_POLICY} />);
    expect(screen.queryByLabelText("Team")).not.toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Save changes" })).toBeInTheDocument();
  });
});

describe("KeyForm for a viewer who may not list users", () => {
  it("asks for no owner: the key belongs to the viewer", () => {
    render(
      <KeyForm
        mode="create"
        initial={EMPTY_KEY_FORM}
        options={{ ...OPTIONS, users: null }}
        onSubmit={async () => null}
        onCancel={() => {}}
        maySetPolicy={NO_POLICY}
      />,
    );
    expect(screen.getByLabelText("Team")).toBeInTheDocument();
    expect(screen.queryByLabelText(/User/)).not.toBeInTheDocument();
  });
});

describe("KeyForm policy (guardrails and cache controls)", () => {
  it("is not shown to a viewer who may not set it", () => {
    render(<KeyForm mode="edit" initial={EMPTY_KEY_FORM} options={OPTIONS} onSubmit={async () => null} onCancel={() => {}} maySetPolicy={NO_POLICY} />);
    expect(screen.queryByRole("group", { name: "Guardrails" })).not.toBeInTheDocument();
    expect(screen.queryByRole("switch", { name: "Allow request guardrails" })).not.toBeInTheDocument();
    expect(screen.queryByRole("group", { name: "Allowed cache controls" })).not.toBeInTheDocument();
  });

  it("follows the team chosen: shown only for a team the viewer manages", async () => {
    const maySetPolicy = vi.fn((teamId: string) => teamId === "t2");
    render(<KeyForm mode="create" initial={EMPTY_KEY_FORM} options={OPTIONS} onSubmit={async () => null} onCancel={() => {}} maySetPolicy={maySetPolicy} />);
    expect(screen.queryByRole("group", { name: "Guardrails" })).not.toBeInTheDocument();
    await userEvent.selectOptions(screen.getByLabelText("Team"), "t2");
    const picker = screen.getByRole("group", { name: "Guardrails" });
    // The team's own guardrails run too: shown, not chosen here.
    expect(within(picker).getByRole("list", { name: "From the team:" })).toHaveTextContent("pii-mask");
  });

  it("offers the defined policies, default-on ones ticked for good, and sends what is chosen", async () => {
    const onSubmit = vi.fn(async () => null);
    render(<KeyForm mode="create" initial={EMPTY_KEY_FORM} options={OPTIONS} onSubmit={onSubmit} onCancel={() => {}} maySetPolicy={() => true} />);
    const picker = screen.getByRole("group", { name: "Guardrails" });
    const always = within(picker).getByRole("checkbox", { name: /audit-all/ });
    expect(always).toBeChecked();
    expect(always).toBeDisabled();
    await userEvent.click(within(picker).getByRole("checkbox", { name: /injection/ }));
    await userEvent.click(screen.getByRole("switch", { name: "Allow request guardrails" }));
    const cache = screen.getByRole("group", { name: "Allowed cache controls" });
    await userEvent.click(within(cache).getByRole("checkbox", { name: "no-store" }));
    await userEvent.click(within(cache).getByRole("checkbox", { name: "ttl" }));
    expect(within(cache).getByRole("checkbox", { name: "ttl" })).toHaveAccessibleDescription("how long an answer is kept");
    await userEvent.click(screen.getByRole("button", { name: "Create key" }));
    expect(onSubmit).toHaveBeenCalledWith(
      expect.objectContaining({ guardrails: ["injection"], allowRequestGuardrails: true, allowedCacheControls: ["no-store", "ttl"] }),
    );
  });

  it("keeps a chosen name no policy has any more, so that it can be taken off", async () => {
    const onSubmit = vi.fn(async () => null);
    const initial = { ...EMPTY_KEY_FORM, guardrails: ["retired", "pii-mask"] };
    render(<KeyForm mode="edit" initial={initial} options={OPTIONS} onSubmit={onSubmit} onCancel={() => {}} maySetPolicy={() => true} />);
    const retired = screen.getByRole("checkbox", { name: /retired/ });
    expect(retired.closest("label")).toHaveTextContent("not defined");
    await userEvent.click(retired);
    await userEvent.click(screen.getByRole("button", { name: "Save changes" }));
    expect(onSubmit).toHaveBeenCalledWith(expect.objectContaining({ guardrails: ["pii-mask"] }));
  });

  it("shows the API's refusal of a guardrail name on the picker, gone once changed", async () => {
    const onSubmit = vi.fn(async () => ({ guardrails: "guardrail names are 1-64 letters" }));
    render(<KeyForm mode="edit" initial={EMPTY_KEY_FORM} options={OPTIONS} onSubmit={onSubmit} onCancel={() => {}} maySetPolicy={() => true} />);
    await userEvent.click(screen.getByRole("button", { name: "Save changes" }));
    const picker = screen.getByRole("group", { name: "Guardrails" });
    expect(picker).toHaveAccessibleDescription("guardrail names are 1-64 letters");
    await userEvent.click(within(picker).getByRole("checkbox", { name: /pii-mask/ }));
    expect(picker).not.toHaveAccessibleDescription("guardrail names are 1-64 letters");
  });
});
