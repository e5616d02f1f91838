// The deployment form's values, checks and the mapping to and from the API's `params`
// (config.yaml's deltallm_params).

export const PROVIDERS = ["openai", "azure", "anthropic", "demo"] as const;

export interface DeploymentFormValues {
  modelName: string;
  provider: string;
  providerModel: string;
  apiBase: string;
  /** Write-only: empty keeps the stored key. */
  apiKey: string;
  rpm: string;
  tpm: string;
  weight: string;
}

export type DeploymentFormField = keyof DeploymentFormValues;
export type DeploymentFormErrors = Partial<Record<DeploymentFormField | "form", string>>;

export const EMPTY_DEPLOYMENT_FORM: DeploymentFormValues = {
  modelName: "",
  provider: "openai",
  providerModel: "",
  apiBase: "",
  apiKey: "",
  rpm: "",
  tpm: "",
  weight: "1",
};

type Params = Record<string, unknown>;

function asParams(value: unknown): Params {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Params) : {};
}

function text(value: unknown): string {
  return value === null || value === undefined ? "" : String(value);
}

/** The form's values for a stored deployment (its key is never sent back). */
export function formFromDeployment(deployment: { modelName: string; params: unknown }): DeploymentFormValues {
  const params = asParams(deployment.params);
  const model = text(params["model"]);
  const slash = model.indexOf("/");
  return {
    modelName: deployment.modelName,
    provider: slash > 0 ? model.slice(0, slash) : "openai",
    providerModel: slash > 0 ? model.slice(slash + 1) : model,
    apiBase: text(params["api_base"]),
    apiKey: "",
    rpm: text(params["rpm"]),
    tpm: text(params["tpm"]),
    weight: params["weight"] === undefined ? "1" : text(params["weight"]),
  };
}

const WHOLE = /^\d+$/;

/** Problems the API would refuse anyway, found before anything is sent. */
export function validateDeployment(values: DeploymentFormValues): DeploymentFormErrors {
  const errors: DeploymentFormErrors = {};
  if (!values.modelName.trim()) errors.modelName = "Give the model name callers will use.";
  if (!values.providerModel.trim()) errors.providerModel = "Name the provider's model, like gpt-4o.";
  const base = values.apiBase.trim();
  if (base) {
    let ok = false;
    try {
      const url = new URL(base);
      ok = (url.protocol === "http:" || url.protocol === "https:") && url.hostname !== "";
    } catch {
      ok = false;
    }
    if (!ok) errors.apiBase = "An http(s) URL, like https://api.example.com/v1.";
  }
  for (const field of ["rpm", "tpm"] as const) {
    if (values[field].trim() && !WHOLE.test(values[field].trim())) errors[field] = "A whole number, 0 or more.";
  }
  const weight = values.weight.trim();
  if (weight && !(Number.isFinite(Number(weight)) && Number(weight) >= 0)) errors.weight = "A number, 0 or more.";
  return errors;
}

/**
 * `params` for the API: the form's fields over the stored ones it does not show (timeouts,
 * costs…). The API key is sent only when typed; otherwise the stored one is kept.
 */
export function paramsFromForm(values: DeploymentFormValues, stored: unknown = {}): Params {
  const params: Params = { ...asParams(stored) };
  params["model"] = `${values.provider}/${values.providerModel.trim()}`;
  const set = (name: string, value: unknown) => {
    if (value === null) delete params[name];
    else params[name] = value;
  };
  set("api_base", values.apiBase.trim() || null);
  set("rpm", values.rpm.trim() ? Number(values.rpm.trim()) : null);
  set("tpm", values.tpm.trim() ? Number(values.tpm.trim()) : null);
  set("weight", values.weight.trim() ? Number(values.weight.trim()) : null);
  if (values.apiKey) params["api_key"] = values.apiKey;
  return params;
}

const PARAM_FIELDS: Record<string, DeploymentFormField> = {
  modelName: "modelName",
  "params.model": "providerModel",
  "params.api_base": "apiBase",
  "params.api_key": "apiKey",
  "params.rpm": "rpm",
  "params.tpm": "tpm",
  "params.weight": "weight",
};

/** The payload's typed errors on the fields they name; the rest for the whole form. */
export function deploymentPayloadErrors(
  errors: ReadonlyArray<{ field: string | null; message: string }>,
): DeploymentFormErrors {
  const found: DeploymentFormErrors = {};
  for (const error of errors) {
    const field = error.field !== null ? PARAM_FIELDS[error.field] : undefined;
    if (field) found[field] = error.message;
    else found.form = found.form ? `${found.form} ${error.message}` : error.message;
  }
  return found;
}
