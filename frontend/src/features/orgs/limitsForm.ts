import type { LimitsInput } from "../../gql/graphql";

// The form shared by organizations, teams and users: a name (not for users) and the limits
// of LimitsInput. Values are what the inputs hold; field names match the API's
// UserError.field values, so a refusal lands on its field.

export interface LimitsFormValues {
  name: string;
  maxBudget: string;
  softBudget: string;
  budgetDuration: string;
  rpmLimit: string;
  tpmLimit: string;
  maxParallelRequests: string;
  models: string;
}

export type LimitsFormField = keyof LimitsFormValues;
export type LimitsFormErrors = Partial<Record<LimitsFormField | "form", string>>;

/** Which of the fields a form shows (a team has no soft budget, a user no name or models). */
export interface LimitsFormShape {
  name: boolean;
  softBudget: boolean;
  models: boolean;
}

export const EMPTY_LIMITS_FORM: LimitsFormValues = {
  name: "",
  maxBudget: "",
  softBudget: "",
  budgetDuration: "",
  rpmLimit: "",
  tpmLimit: "",
  maxParallelRequests: "",
  models: "",
};

export const MAX_NAME = 200;
const DURATION = /^[1-9]\d*(s|m|h|d|mo)$/;
const DECIMAL = /^\d+(\.\d+)?$/;
const WHOLE = /^\d+$/;

interface LimitsLike {
  name?: string;
  maxBudget?: string | null;
  softBudget?: string | null;
  budgetDuration?: string | null;
  rpmLimit?: number | null;
  tpmLimit?: number | null;
  maxParallelRequests?: number | null;
  models?: readonly string[];
}

export function limitsValuesOf(row: LimitsLike): LimitsFormValues {
  return {
    name: row.name ?? "",
    maxBudget: row.maxBudget ?? "",
    softBudget: row.softBudget ?? "",
    budgetDuration: row.budgetDuration ?? "",
    rpmLimit: row.rpmLimit?.toString() ?? "",
    tpmLimit: row.tpmLimit?.toString() ?? "",
    maxParallelRequests: row.maxParallelRequests?.toString() ?? "",
    models: (row.models ?? []).join(", "),
  };
}

export function validateLimitsForm(values: LimitsFormValues, shape: LimitsFormShape): LimitsFormErrors {
  const errors: LimitsFormErrors = {};
  if (shape.name) {
    const name = values.name.trim();
    if (name === "") errors.name = "A name is required.";
    else if (name.length > MAX_NAME) errors.name = `At most ${MAX_NAME} characters.`;
  }
  const budgets = shape.softBudget ? (["maxBudget", "softBudget"] as const) : (["maxBudget"] as const);
  for (const field of budgets) {
    const v = values[field].trim();
    if (v !== "" && !DECIMAL.test(v)) errors[field] = "A non-negative amount in dollars, like 25 or 12.50.";
  }
  if (shape.softBudget && !errors.maxBudget && !errors.softBudget && values.softBudget.trim() && values.maxBudget.trim()) {
    if (Number(values.softBudget) > Number(values.maxBudget)) errors.softBudget = "The soft budget exceeds the budget.";
  }
  const duration = values.budgetDuration.trim();
  if (duration !== "" && !DURATION.test(duration)) errors.budgetDuration = "A number and a unit: 30m, 1h, 1d, 7d or 1mo.";
  else if (duration !== "" && values.maxBudget.trim() === "") errors.budgetDuration = "A budget period needs a budget.";
  for (const field of ["rpmLimit", "tpmLimit", "maxParallelRequests"] as const) {
    const v = values[field].trim();
    if (v !== "" && !WHOLE.test(v)) errors[field] = "A whole number, 0 or more.";
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

/** Every shown limit is sent: an emptied field removes that limit. */
export function limitsInput(values: LimitsFormValues, shape: LimitsFormShape): LimitsInput {
  const input: LimitsInput = {
    maxBudget: optional(values.maxBudget),
    budgetDuration: optional(values.budgetDuration),
    rpmLimit: whole(values.rpmLimit),
    tpmLimit: whole(values.tpmLimit),
    maxParallelRequests: whole(values.maxParallelRequests),
  };
  if (shape.softBudget) input.softBudget = optional(values.softBudget);
  if (shape.models) input.models = [...new Set(values.models.split(",").map((m) => m.trim()).filter(Boolean))];
  return input;
}

/** The API's payload errors, placed on the form's fields (the rest above the form). */
export function limitsPayloadErrors(
  errors: ReadonlyArray<{ field?: string | null; message: string }>,
): LimitsFormErrors | null {
  if (errors.length === 0) return null;
  const found: LimitsFormErrors = {};
  for (const error of errors) {
    const field = (error.field ?? null) as LimitsFormField | null;
    if (field !== null && field in EMPTY_LIMITS_FORM) found[field] = error.message;
    else found.form = found.form ? `${found.form} ${error.message}` : error.message;
  }
  return found;
}
