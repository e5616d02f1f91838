// Number fields of the settings forms: their bounds (as the API's settings models have them),
// the check before submit, and the changed values to send.

export interface NumberSpec {
  name: string;
  label: string;
  hint?: string;
  integer?: boolean;
  /** Empty means "not set" (sent as null). */
  optional?: boolean;
  min?: number;
  /** The value must be above `min`, not equal to it. */
  minExclusive?: boolean;
  max?: number;
}

export type FormErrors = Record<string, string>;

function describe(spec: NumberSpec): string {
  const kind = spec.integer ? "A whole number" : "A number";
  if (spec.min !== undefined && spec.max !== undefined) return `${kind} from ${spec.min} to ${spec.max}.`;
  if (spec.min !== undefined) return `${kind} ${spec.minExclusive ? "above" : "of at least"} ${spec.min}.`;
  return `${kind}.`;
}

/** The message for `raw` under `spec`, or undefined when it is acceptable. */
export function checkNumber(spec: NumberSpec, raw: string): string | undefined {
  const text = raw.trim();
  if (!text) return spec.optional ? undefined : `${describe(spec)}`;
  const value = Number(text);
  if (!Number.isFinite(value) || (spec.integer && !Number.isInteger(value))) return describe(spec);
  if (spec.min !== undefined && (spec.minExclusive ? value <= spec.min : value < spec.min)) return describe(spec);
  if (spec.max !== undefined && value > spec.max) return describe(spec);
  return undefined;
}

export function checkNumbers(specs: NumberSpec[], values: Record<string, string>): FormErrors {
  const errors: FormErrors = {};
  for (const spec of specs) {
    const message = checkNumber(spec, values[spec.name] ?? "");
    if (message) errors[spec.name] = message;
  }
  return errors;
}

export function numberText(value: number | null | undefined): string {
  return value === null || value === undefined ? "" : String(value);
}

/** The fields whose value differs from `current`, as the API takes them. */
export function changedNumbers(
  specs: NumberSpec[],
  values: Record<string, string>,
  current: Record<string, unknown>,
): Record<string, number | null> {
  const changes: Record<string, number | null> = {};
  for (const spec of specs) {
    const text = (values[spec.name] ?? "").trim();
    const value = text ? Number(text) : null;
    if (value !== (current[spec.name] ?? null)) changes[spec.name] = value;
  }
  return changes;
}

/** Typed payload errors by field; the others under `form`. */
export function fieldErrors(
  errors: ReadonlyArray<{ field: string | null; message: string }>,
  fields: readonly string[],
): FormErrors {
  const found: FormErrors = {};
  for (const error of errors) {
    const field = error.field !== null && fields.includes(error.field) ? error.field : "form";
    found[field] = found[field] ? `${found[field]} ${error.message}` : error.message;
  }
  return found;
}
