import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";

import {
  deploymentPayloadErrors,
  EMPTY_DEPLOYMENT_FORM,
  formFromDeployment,
  paramsFromForm,
} from "../deploymentForm";
import { DeploymentForm } from "./DeploymentForm";

describe("DeploymentForm", () => {
  it("checks the fields before sending anything", async () => {
    const onSubmit = vi.fn(async () => null);
    render(<DeploymentForm mode="create" initial={EMPTY_DEPLOYMENT_FORM} onSubmit={onSubmit} onCancel={() => {}} />);
    await userEvent.type(screen.getByLabelText("API base"), "ftp://files.example.com");
    await userEvent.type(screen.getByLabelText("Requests / minute"), "1.5");
    await userEvent.click(screen.getByRole("button", { name: "Add deployment" }));
    expect(onSubmit).not.toHaveBeenCalled();
    expect(screen.getByLabelText("Model name")).toHaveAccessibleDescription("Give the model name callers will use.");
    expect(screen.getByLabelText("Provider model")).toHaveAttribute("aria-invalid", "true");
    expect(screen.getByLabelText("API base")).toHaveAccessibleDescription("An http(s) URL, like https://api.example.com/v1.");
    expect(screen.getByLabelText("Requests / minute")).toHaveAccessibleDescription("A whole number, 0 or more.");
  });

  it("sends the values and shows the API's refusal on the field it names", async () => {
    const onSubmit = vi.fn(async () =>
      deploymentPayloadErrors([
        { field: "params.api_base", message: "params.api_base: 10.0.0.5 is a loopback or private address" },
        { field: null, message: "Something else." },
      ]),
    );
    render(<DeploymentForm mode="create" initial={EMPTY_DEPLOYMENT_FORM} onSubmit={onSubmit} onCancel={() => {}} />);
    await userEvent.type(screen.getByLabelText("Model name"), "gpt-4o");
    await userEvent.type(screen.getByLabelText("Provider model"), "gpt-4o");
    await userEvent.type(screen.getByLabelText("API base"), "http://10.0.0.5/v1");
    await userEvent.click(screen.getByRole("button", { name: "Add deployment" }));
    expect(onSubmit).toHaveBeenCalledWith(expect.objectContaining({ modelName: "gpt-4o", apiBase: "http://10.0.0.5/v1" }));
    expect(await screen.findByLabelText("API base")).toHaveAccessibleDescription(/loopback or private address/);
    expect(screen.getByRole("alert")).toHaveTextContent("Something else.");
  });

  it("never shows a stored key back and says that an empty field keeps it", () => {
    render(
      <DeploymentForm
        mode="edit"
        initial={formFromDeployment({ modelName: "m", params: { model: "openai/gpt-4o", api_base: "https://x.example/v1" } })}
        hasApiKey
        onSubmit={async () => null}
        onCancel={() => {}}
      />,
    );
    expect(screen.getByLabelText("API key")).toHaveValue("");
    expect(screen.getByLabelText("API key")).toHaveAccessibleDescription(/A key is stored and never shown/);
    expect(screen.getByLabelText("Provider")).toHaveValue("openai");
    expect(screen.getByLabelText("Provider model")).toHaveValue("gpt-4o");
  });
});

describe("paramsFromForm", () => {
  it("keeps the stored params the form does not show and sends the key only when typed", () => {
    const stored = { model: "openai/old", timeout: 30, rpm: 5, api_base: "https://a.example" };
    const values = { ...formFromDeployment({ modelName: "m", params: stored }), rpm: "", tpm: "100" };
    expect(paramsFromForm(values, stored)).toEqual({
      model: "openai/old",
      timeout: 30,
      tpm: 100,
      weight: 1,
      api_base: "https://a.example",
    });
    expect(paramsFromForm({ ...values, apiKey: "sk-new" }, stored)).toMatchObject({ api_key: "sk-new" });
  });
});
