import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";

import { EMPTY_KEY_FORM } from "../keyForm";
import { KeyForm, type KeyFormOptions } from "./KeyForm";

const OPTIONS: KeyFormOptions = {
  teams: [{ id: "t1", name: "Search", orgName: "Acme" }],
  users: [{ id: "u1", email: "dev@example.com" }],
  models: ["demo", "gpt-4o"],
};

describe("KeyForm", () => {
  it("checks the fields before sending anything", async () => {
    const onSubmit = vi.fn(async () => null);
    render(<KeyForm mode="create" initial={EMPTY_KEY_FORM} options={OPTIONS} onSubmit={onSubmit} onCancel={() => {}} />);
    await userEvent.type(screen.getByLabelText("Requests / minute"), "many");
    await userEvent.type(screen.getByLabelText("Budget period"), "30d");
    await userEvent.click(screen.getByRole("button", { name: "Create key" }));
    expect(onSubmit).not.toHaveBeenCalled();
    expect(screen.getByLabelText("Requests / minute")).toHaveAccessibleDescription("A whole number, 0 or more.");
    expect(screen.getByLabelText("Budget period")).toHaveAttribute("aria-invalid", "true");
  });

  it("sends the values and shows the API's refusal on the right field", async () => {
    const onSubmit = vi.fn(async () => ({ teamId: "You cannot create keys in this team." }));
    render(<KeyForm mode="create" initial={EMPTY_KEY_FORM} options={OPTIONS} onSubmit={onSubmit} onCancel={() => {}} />);
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
    render(<KeyForm mode="create" initial={initial} options={OPTIONS} onSubmit={onSubmit} onCancel={() => {}} />);
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
    render(<KeyForm mode="edit" initial={EMPTY_KEY_FORM} options={OPTIONS} onSubmit={async () => null} onCancel={() => {}} />);
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
      />,
    );
    expect(screen.getByLabelText("Team")).toBeInTheDocument();
    expect(screen.queryByLabelText(/User/)).not.toBeInTheDocument();
  });
});
