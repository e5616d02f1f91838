import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";

import { GuardrailKind, GuardrailMode, PiiAction } from "../../../gql/graphql";
import { EMPTY_GUARDRAIL_FORM, guardrailInput, guardrailPayloadErrors, type GuardrailFormValues } from "../guardrailForm";
import { GuardrailForm } from "./GuardrailForm";

describe("GuardrailForm", () => {
  it("checks the name and the PII rules before sending", async () => {
    const onSubmit = vi.fn(async () => null);
    render(<GuardrailForm mode="create" initial={EMPTY_GUARDRAIL_FORM} onSubmit={onSubmit} onCancel={() => {}} />);
    await userEvent.type(screen.getByLabelText("Name"), "has spaces");
    await userEvent.type(screen.getByLabelText("PII entities"), "email mask");
    await userEvent.click(screen.getByRole("button", { name: "Add policy" }));
    expect(onSubmit).not.toHaveBeenCalled();
    expect(screen.getByLabelText("Name")).toHaveAttribute("aria-invalid", "true");
    expect(screen.getByLabelText("PII entities")).toHaveAccessibleDescription(
      "One rule a line: an upper-case entity, then MASK or BLOCK.",
    );
  });

  it("shows Lakera's own fields and the API's refusal on the field it names", async () => {
    const onSubmit = vi.fn(async () =>
      guardrailPayloadErrors([{ field: "apiBase", message: "api_base: 127.0.0.1 is a loopback or private address" }]),
    );
    render(<GuardrailForm mode="create" initial={EMPTY_GUARDRAIL_FORM} onSubmit={onSubmit} onCancel={() => {}} />);
    await userEvent.type(screen.getByLabelText("Name"), "lakera");
    await userEvent.selectOptions(screen.getByLabelText("Type"), GuardrailKind.Lakera);
    expect(screen.queryByLabelText("PII entities")).not.toBeInTheDocument();
    await userEvent.type(screen.getByLabelText("Threshold"), "2");
    await userEvent.click(screen.getByRole("button", { name: "Add policy" }));
    expect(onSubmit).not.toHaveBeenCalled();
    expect(screen.getByLabelText("Threshold")).toHaveAccessibleDescription("A number from 0 to 1.");
    await userEvent.clear(screen.getByLabelText("Threshold"));
    await userEvent.type(screen.getByLabelText("API base"), "http://127.0.0.1:9");
    await userEvent.click(screen.getByRole("button", { name: "Add policy" }));
    expect(onSubmit).toHaveBeenCalledTimes(1);
    expect(await screen.findByLabelText("API base")).toHaveAccessibleDescription(/loopback or private address/);
  });

  it("keeps the name fixed when editing", () => {
    render(<GuardrailForm mode="edit" initial={{ ...EMPTY_GUARDRAIL_FORM, name: "pii" }} onSubmit={async () => null} onCancel={() => {}} />);
    expect(screen.getByLabelText("Name")).toBeDisabled();
  });
});

describe("guardrailInput", () => {
  it("turns the rules into entities and sends an API key only when typed", () => {
    const presidio = guardrailInput({ ...EMPTY_GUARDRAIL_FORM, name: "pii", piiEntities: "EMAIL_ADDRESS MASK\n\nUS_SSN BLOCK" });
    expect(presidio.piiEntities).toEqual([
      { entity: "EMAIL_ADDRESS", action: PiiAction.Mask },
      { entity: "US_SSN", action: PiiAction.Block },
    ]);
    expect(presidio).not.toHaveProperty("apiKey");
    const lakera = { ...EMPTY_GUARDRAIL_FORM, name: "l", guardrail: GuardrailKind.Lakera, mode: GuardrailMode.PostCall, threshold: "0.5" };
    expect(guardrailInput(lakera)).not.toHaveProperty("apiKey");
    expect(guardrailInput({ ...lakera, apiKey: "k" })).toMatchObject({ apiKey: "k", threshold: 0.5, mode: GuardrailMode.PostCall });
  });
});

describe("GuardrailForm by kind and mode", () => {
  it("shows keyword inputs for a keyword policy and the stream hold after the call only", async () => {
    const onSubmit = vi.fn(async (_values: GuardrailFormValues) => null);
    render(<GuardrailForm mode="create" initial={EMPTY_GUARDRAIL_FORM} onSubmit={onSubmit} onCancel={() => {}} />);
    await userEvent.type(screen.getByLabelText("Name"), "words");
    await userEvent.selectOptions(screen.getByLabelText("Type"), GuardrailKind.Keywords);
    expect(screen.queryByLabelText("PII entities")).not.toBeInTheDocument();
    expect(screen.queryByLabelText("API key")).not.toBeInTheDocument();
    expect(screen.queryByLabelText(/Hold streamed answers/)).not.toBeInTheDocument();
    await userEvent.type(screen.getByLabelText("Keywords"), "alpha{enter}beta");
    await userEvent.selectOptions(screen.getByLabelText("On a match"), PiiAction.Mask);
    await userEvent.selectOptions(screen.getByLabelText("Mode"), GuardrailMode.PostCall);
    await userEvent.click(screen.getByLabelText(/Hold streamed answers/));
    await userEvent.click(screen.getByRole("button", { name: "Add policy" }));
    expect(onSubmit).toHaveBeenCalledTimes(1);
    const input = guardrailInput(onSubmit.mock.calls[0]![0]);
    expect(input).toMatchObject({ guardrail: GuardrailKind.Keywords, keywords: ["alpha", "beta"], keywordAction: PiiAction.Mask, streamHold: true });
  });

  it("shows Lakera's flagged and unreachable choices", async () => {
    render(<GuardrailForm mode="create" initial={{ ...EMPTY_GUARDRAIL_FORM, guardrail: GuardrailKind.Lakera }} onSubmit={async () => null} onCancel={() => {}} />);
    expect(screen.getByLabelText("When flagged")).toBeInTheDocument();
    expect(screen.getByLabelText("When the service is unreachable")).toBeInTheDocument();
    expect(screen.queryByLabelText("Keywords")).not.toBeInTheDocument();
  });
});
