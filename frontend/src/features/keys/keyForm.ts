import type { CreateKeyInput, KeyFieldsFragment, UpdateKeyInput } from "../../gql/graphql";

// The key form's values are what the inputs hold; these functions check them and turn them
// into the mutation's input. Field names match the API's UserError.field values.

/** The per-request cache controls a key may be allowed (the API's names, in its order). */
export const CACHE_CONTROLS = ["ttl", "s-maxage", "no-cache", "no-store", "namespace"] as const;

export interface KeyFormValues {
  alias: string;
  teamId: string;
  userId: string;
  models: string;
  maxBudget: string;
  softBudget: string;
  budgetDuration: string;
  rpmLimit: string;
  tpmLimit: string;
  maxParallelRequests: string;
  expiresAt: string;
  tags: string;
  /** The key's policy: only those who manage its team set it (see canSetKeyPolicy). */
  guardrails: string[];
  allowRequestGuardrails: boolean;
  allowedCacheControls: string[];
}

export type KeyFormField = keyof KeyFormValues;
/** The fields a text input or a select holds. */
export type KeyTextField = { [K in KeyFormField]: KeyFormValues[K] extends string ? K : never }[KeyFormField];
export type KeyFormErrors = Partial<Record<KeyFormField | "form", string>>;

export const EMPTY_KEY_FORM: KeyFormValues = {
  alias: "",
  teamId: "",
  userId: "",
  models: "",
  maxBudget: "",
  softBudget: "",
  budgetDuration: "",
  rpmLimit: "",
  tpmLimit: "",
  maxParallelRequests: "",
  expiresAt: "",
  tags: "",
  guardrails: [],
  allowRequestGuardrails: false,
  allowedCacheControls: [],
};

const DURATION = /^[1-9]\d*(s|m|h|d|mo)$/;
const DECIMAL = /^\d+(\.\d+)?$/;
const WHOLE = /^\d+$/;
export const MAX_ALIAS = 200;

function list(text: string): string[] {
  return [...new Set(text.split(",").map((s) => s.trim()).filter(Boolean))];
}

/** The models text with ``name`` added or removed (the picker's ticks edit the same text). */
export function toggleModel(text: string, name: string, on: boolean): string {
  const names = list(text).filter((n) => n !== name);
  return (on ? [...names, name] : names).join(", ");
}

export function modelNames(text: string): string[] {
  return list(text);
}

function localInput(iso: string | null): string {
  if (!iso) return "";
  const date = new Date(iso);
  const offset = date.getTimezoneOffset() * 60_000;
  return new Date(date.getTime() - offset).toISOString().slice(0, 16);
}

export function valuesOf(key: KeyFieldsFragment): KeyFormValues {
  return {
    alias: key.alias ?? "",
    teamId: key.teamId ?? "",
    userId: key.userId ?? "",
    models: key.models.join(", "),
    maxBudget: key.maxBudget ?? "",
    softBudget: key.softBudget ?? "",
    budgetDuration: key.budgetDuration ?? "",
    rpmLimit: key.rpmLimit?.toString() ?? "",
    tpmLimit: key.tpmLimit?.toString() ?? "",
    maxParallelRequests: key.maxParallelRequests?.toString() ?? "",
    expiresAt: localInput(key.expiresAt),
    tags: key.tags.join(", "),
    guardrails: [...key.guardrails],
    allowRequestGuardrails: key.allowRequestGuardrails,
    allowedCacheControls: [...key.allowedCacheControls],
  };
}

/** ``names`` with ``name`` added (at the end) or removed. */
export function toggleName(names: readonly string[], name: string, on: boolean): string[] {
  const rest = names.filter((n) => n !== name);
  return on ? [...rest, name] : rest;
}

export function validateKeyForm(values: KeyFormValues, now: Date = new Date()): KeyFormErrors {
  const errors: KeyFormErrors = {};
  if (values.alias.trim().length > MAX_ALIAS) errors.alias = `At most ${MAX_ALIAS} characters.`;
  for (const field of ["maxBudget", "softBudget"] as const) {
    const v = values[field].trim();
    if (v !== "" && !DECIMAL.test(v)) errors[field] = "A non-negative amount in dollars, like 25 or 12.50.";
  }
  if (!errors.maxBudget && !errors.softBudget && values.softBudget.trim() && values.maxBudget.trim()) {
    if (Number(values.softBudget) > Number(values.maxBudget)) errors.softBudget = "The soft budget exceeds the budget.";
  }
  const duration = values.budgetDuration.trim();
  if (duration !== "" && !DURATION.test(duration)) {
    errors.budgetDuration = "A number and a unit: 30m, 1h, 1d, 7d or 1mo.";
  }
  if (duration !== "" && values.maxBudget.trim() === "" && !errors.budgetDuration) {
    errors.budgetDuration = "A budget period needs a budget.";
  }
  for (const field of ["rpmLimit", "tpmLimit", "maxParallelRequests"] as const) {
    const v = values[field].trim();
    if (v !== "" && !WHOLE.test(v)) errors[field] = "A whole number, 0 or more.";
  }
  if (values.expiresAt !== "") {
    const at = new Date(values.expiresAt);
    if (Number.isNaN(at.getTime())) errors.expiresAt = "Not a date.";
    else if (at <= now) errors.expiresAt = "The expiry must be in the future.";
  }
  return errors;
}

function optional(text: string): string | null {
  const v = text.trim();
  return v === "" ? null : v;
}

function whole(text: string): number | null {
  const v = text.trim();
  return v === "" ? null : Number.parseInt(v, 10);
}

function limits(values: KeyFormValues) {
  return {
    alias: optional(values.alias),
    models: list(values.models),
    maxBudget: optional(values.maxBudget),
    softBudget: optional(values.softBudget),
    budgetDuration: optional(values.budgetDuration),
    rpmLimit: whole(values.rpmLimit),
    tpmLimit: whole(values.tpmLimit),
    maxParallelRequests: whole(values.maxParallelRequests),
    expiresAt: values.expiresAt ? new Date(values.expiresAt).toISOString() : null,
    tags: list(values.tags),
  };
}

function policy(values: KeyFormValues) {
  return {
    guardrails: [...new Set(values.guardrails)],
    allowRequestGuardrails: values.allowRequestGuardrails,
    // In the API's order, whatever order they were ticked in.
    allowedCacheControls: CACHE_CONTROLS.filter((c) => values.allowedCacheControls.includes(c)),
  };
}

/** The mutation's input; the policy fields only ``withPolicy``: the API refuses them to a
 * caller who does not manage the key's team. */
export function createInput(values: KeyFormValues, withPolicy = false): CreateKeyInput {
  const input = { ...limits(values), teamId: optional(values.teamId), userId: optional(values.userId) };
  return withPolicy ? { ...input, ...policy(values) } : input;
}

export function updateInput(values: KeyFormValues, withPolicy = false): UpdateKeyInput {
  return withPolicy ? { ...limits(values), ...policy(values) } : limits(values);
}

/** The API's payload errors, placed on the form's fields (the rest above the form). */
export function payloadErrors(errors: ReadonlyArray<{ field: string | null; message: string }>): KeyFormErrors {
  const found: KeyFormErrors = {};
  for (const error of errors) {
    const field = error.field as KeyFormField | null;
    if (field !== null && field in EMPTY_KEY_FORM) found[field] = error.message;
    else found.form = found.form ? `${found.form} ${error.message}` : error.message;
  }
  return found;
}
