// The guardrail policy form: values, checks before submit, and the API's input.
import {
  GuardrailKind,
  GuardrailMode,
  PiiAction,
  type GuardrailFieldsFragment,
  type GuardrailPolicyInput,
} from "../../gql/graphql";

/** When a policy runs, in words (the Guardrails page and the pickers of keys and teams). */
export const GUARDRAIL_MODE_LABELS: Record<GuardrailMode, string> = {
  [GuardrailMode.PreCall]: "before the call",
  [GuardrailMode.DuringCall]: "during the call",
  [GuardrailMode.PostCall]: "after the call",
  [GuardrailMode.LoggingOnly]: "logging only",
};

export interface GuardrailFormValues {
  name: string;
  guardrail: GuardrailKind;
  mode: GuardrailMode;
  defaultOn: boolean;
  /** One rule a line: `EMAIL_ADDRESS MASK`. */
  piiEntities: string;
  apiBase: string;
  /** Write-only: empty keeps the stored key. */
  apiKey: string;
  threshold: string;
}

export type GuardrailFormField = keyof GuardrailFormValues;
export type GuardrailFormErrors = Partial<Record<GuardrailFormField | "form", string>>;

export const EMPTY_GUARDRAIL_FORM: GuardrailFormValues = {
  name: "",
  guardrail: GuardrailKind.Presidio,
  mode: GuardrailMode.PreCall,
  defaultOn: false,
  piiEntities: "",
  apiBase: "",
  apiKey: "",
  threshold: "",
};

export function formFromGuardrail(policy: GuardrailFieldsFragment): GuardrailFormValues {
  return {
    name: policy.name,
    guardrail: policy.guardrail,
    mode: policy.mode,
    defaultOn: policy.defaultOn,
    piiEntities: policy.piiEntities.map((r) => `${r.entity} ${r.action}`).join("\n"),
    apiBase: policy.apiBase ?? "",
    apiKey: "",
    threshold: policy.threshold === null ? "" : String(policy.threshold),
  };
}

const NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const RULE = /^([A-Z][A-Z0-9_]*)\s+(MASK|BLOCK)$/;

function rules(text: string): Array<{ entity: string; action: PiiAction }> | null {
  const found: Array<{ entity: string; action: PiiAction }> = [];
  for (const line of text.split("\n").map((l) => l.trim()).filter(Boolean)) {
    const match = RULE.exec(line);
    if (!match) return null;
    found.push({ entity: match[1] ?? "", action: match[2] === "BLOCK" ? PiiAction.Block : PiiAction.Mask });
  }
  return found;
}

export function validateGuardrail(values: GuardrailFormValues): GuardrailFormErrors {
  const errors: GuardrailFormErrors = {};
  if (!NAME.test(values.name.trim())) errors.name = "1 to 64 letters, digits, dots, dashes or underscores.";
  if (values.guardrail === GuardrailKind.Presidio) {
    if (rules(values.piiEntities) === null) errors.piiEntities = "One rule a line: an upper-case entity, then MASK or BLOCK.";
  } else {
    const base = values.apiBase.trim();
    if (base) {
      let ok = false;
      try {
        const url = new URL(base);
        ok = url.protocol === "http:" || url.protocol === "https:";
      } catch {
        ok = false;
      }
      if (!ok) errors.apiBase = "An http(s) URL.";
    }
    const threshold = values.threshold.trim();
    if (threshold && !(Number(threshold) >= 0 && Number(threshold) <= 1)) errors.threshold = "A number from 0 to 1.";
  }
  return errors;
}

/** The API's input; the key only when typed (otherwise the stored one is kept). */
export function guardrailInput(values: GuardrailFormValues): GuardrailPolicyInput {
  const presidio = values.guardrail === GuardrailKind.Presidio;
  const input: GuardrailPolicyInput = {
    name: values.name.trim(),
    guardrail: values.guardrail,
    mode: values.mode,
    defaultOn: values.defaultOn,
    piiEntities: presidio ? (rules(values.piiEntities) ?? []) : [],
    apiBase: presidio ? null : values.apiBase.trim() || null,
    threshold: presidio || !values.threshold.trim() ? null : Number(values.threshold.trim()),
  };
  if (!presidio && values.apiKey) input.apiKey = values.apiKey;
  return input;
}

const FIELDS: Record<string, GuardrailFormField> = {
  name: "name",
  piiEntities: "piiEntities",
  apiBase: "apiBase",
  apiKey: "apiKey",
  threshold: "threshold",
  mode: "mode",
  guardrail: "guardrail",
};

export function guardrailPayloadErrors(
  errors: ReadonlyArray<{ field: string | null; message: string }>,
): GuardrailFormErrors {
  const found: GuardrailFormErrors = {};
  for (const error of errors) {
    const field = error.field !== null ? FIELDS[error.field] : undefined;
    if (field) found[field] = error.message;
    else found.form = found.form ? `${found.form} ${error.message}` : error.message;
  }
  return found;
}
