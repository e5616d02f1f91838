// The guardrail policy form: values, checks before submit, and the API's input.
// setGuardrailPolicy replaces the whole policy, so the input starts from the stored policy
// and only the fields the form shows are overlaid (ad hoc recognizers and the fields of
// other kinds survive an edit).
import {
  GuardrailFallback,
  GuardrailKind,
  GuardrailMode,
  GuardrailOnFlagged,
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

export const GUARDRAIL_KIND_LABELS: Record<GuardrailKind, string> = {
  [GuardrailKind.Presidio]: "Presidio",
  [GuardrailKind.Lakera]: "Lakera",
  [GuardrailKind.Keywords]: "Keywords",
};

export interface GuardrailFormValues {
  name: string;
  guardrail: GuardrailKind;
  mode: GuardrailMode;
  defaultOn: boolean;
  /** One rule a line: `EMAIL_ADDRESS MASK`. */
  piiEntities: string;
  /** One a line: `PERSON 0.6`. */
  scoreThresholds: string;
  /** One word or phrase a line. */
  allowList: string;
  outputParsePii: boolean;
  analyzerApiBase: string;
  anonymizerApiBase: string;
  language: string;
  spacyModel: string;
  /** Comma-separated region codes: `US, GB`. */
  phoneRegions: string;
  /** One a line. */
  keywords: string;
  /** One regular expression a line. */
  patterns: string;
  keywordAction: PiiAction;
  apiBase: string;
  /** Write-only: empty keeps the stored key. */
  apiKey: string;
  threshold: string;
  onFlagged: GuardrailOnFlagged;
  timeout: string;
  unreachableFallback: GuardrailFallback;
  streamHold: boolean;
  /** The stored policy when editing: what the form does not show is sent back unchanged. */
  original: GuardrailFieldsFragment | null;
}

export type GuardrailFormField = Exclude<keyof GuardrailFormValues, "original">;
export type GuardrailFormErrors = Partial<Record<GuardrailFormField | "form", string>>;

export const EMPTY_GUARDRAIL_FORM: GuardrailFormValues = {
  name: "",
  guardrail: GuardrailKind.Presidio,
  mode: GuardrailMode.PreCall,
  defaultOn: false,
  piiEntities: "",
  scoreThresholds: "",
  allowList: "",
  outputParsePii: false,
  analyzerApiBase: "",
  anonymizerApiBase: "",
  language: "en",
  spacyModel: "",
  phoneRegions: "",
  keywords: "",
  patterns: "",
  keywordAction: PiiAction.Block,
  apiBase: "",
  apiKey: "",
  threshold: "",
  onFlagged: GuardrailOnFlagged.Block,
  timeout: "5",
  unreachableFallback: GuardrailFallback.FailClosed,
  streamHold: false,
  original: null,
};

const lines = (items: readonly string[]): string => items.join("\n");

export function formFromGuardrail(policy: GuardrailFieldsFragment): GuardrailFormValues {
  return {
    name: policy.name,
    guardrail: policy.guardrail,
    mode: policy.mode,
    defaultOn: policy.defaultOn,
    piiEntities: lines(policy.piiEntities.map((r) => `${r.entity} ${r.action}`)),
    scoreThresholds: lines(policy.scoreThresholds.map((s) => `${s.entity} ${s.score}`)),
    allowList: lines(policy.allowList),
    outputParsePii: policy.outputParsePii,
    analyzerApiBase: policy.analyzerApiBase ?? "",
    anonymizerApiBase: policy.anonymizerApiBase ?? "",
    language: policy.language,
    spacyModel: policy.spacyModel ?? "",
    phoneRegions: policy.phoneRegions.join(", "),
    keywords: lines(policy.keywords),
    patterns: lines(policy.patterns),
    keywordAction: policy.keywordAction,
    apiBase: policy.apiBase ?? "",
    apiKey: "",
    threshold: policy.threshold === null ? "" : String(policy.threshold),
    onFlagged: policy.onFlagged,
    timeout: String(policy.timeout),
    unreachableFallback: policy.unreachableFallback,
    streamHold: policy.streamHold,
    original: policy,
  };
}

const NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const RULE = /^([A-Z][A-Z0-9_]*)\s+(MASK|BLOCK)$/;
const SCORE = /^([A-Z][A-Z0-9_]*)\s+([0-9.]+)$/;

const nonEmpty = (text: string): string[] => text.split("\n").map((l) => l.trim()).filter(Boolean);

function rules(text: string): Array<{ entity: string; action: PiiAction }> | null {
  const found: Array<{ entity: string; action: PiiAction }> = [];
  for (const line of nonEmpty(text)) {
    const match = RULE.exec(line);
    if (!match) return null;
    found.push({ entity: match[1] ?? "", action: match[2] === "BLOCK" ? PiiAction.Block : PiiAction.Mask });
  }
  return found;
}

function scores(text: string): Array<{ entity: string; score: number }> | null {
  const found: Array<{ entity: string; score: number }> = [];
  for (const line of nonEmpty(text)) {
    const match = SCORE.exec(line);
    const score = Number(match?.[2]);
    if (!match || !(score >= 0 && score <= 1)) return null;
    found.push({ entity: match[1] ?? "", score });
  }
  return found;
}

function badRegex(text: string): string | null {
  for (const line of nonEmpty(text)) {
    try {
      new RegExp(line);
    } catch {
      return line;
    }
  }
  return null;
}

function isUrl(text: string): boolean {
  const base = text.trim();
  if (!base) return true;
  try {
    const url = new URL(base);
    return url.protocol === "http:" || url.protocol === "https:";
  } catch {
    return false;
  }
}

function presidioErrors(values: GuardrailFormValues, errors: GuardrailFormErrors): void {
  if (rules(values.piiEntities) === null) errors.piiEntities = "One rule a line: an upper-case entity, then MASK or BLOCK.";
  if (scores(values.scoreThresholds) === null) errors.scoreThresholds = "One a line: an upper-case entity, then a score from 0 to 1.";
  if (!isUrl(values.analyzerApiBase)) errors.analyzerApiBase = "An http(s) URL.";
  if (!isUrl(values.anonymizerApiBase)) errors.anonymizerApiBase = "An http(s) URL.";
  if (!values.language.trim()) errors.language = "A language code, like en.";
}

export function validateGuardrail(values: GuardrailFormValues): GuardrailFormErrors {
  const errors: GuardrailFormErrors = {};
  if (!NAME.test(values.name.trim())) errors.name = "1 to 64 letters, digits, dots, dashes or underscores.";
  if (values.guardrail === GuardrailKind.Presidio) presidioErrors(values, errors);
  if (values.guardrail === GuardrailKind.Keywords) {
    if (nonEmpty(values.keywords).length + nonEmpty(values.patterns).length === 0) errors.keywords = "At least one keyword or pattern.";
    const bad = badRegex(values.patterns);
    if (bad !== null) errors.patterns = `Not a regular expression: ${bad}`;
  }
  if (values.guardrail === GuardrailKind.Lakera) {
    if (!isUrl(values.apiBase)) errors.apiBase = "An http(s) URL.";
    const threshold = values.threshold.trim();
    if (threshold && !(Number(threshold) >= 0 && Number(threshold) <= 1)) errors.threshold = "A number from 0 to 1.";
  }
  const timeout = Number(values.timeout);
  if (values.guardrail !== GuardrailKind.Keywords && !(timeout > 0 && timeout <= 120)) errors.timeout = "Seconds, above 0 and at most 120.";
  return errors;
}

/** The stored policy's fields as input (the base an edit overlays). */
function inputFromPolicy(p: GuardrailFieldsFragment): GuardrailPolicyInput {
  return {
    name: p.name,
    guardrail: p.guardrail,
    mode: p.mode,
    defaultOn: p.defaultOn,
    piiEntities: p.piiEntities.map(({ entity, action }) => ({ entity, action })),
    apiBase: p.apiBase,
    threshold: p.threshold,
    scoreThresholds: p.scoreThresholds.map(({ entity, score }) => ({ entity, score })),
    allowList: [...p.allowList],
    adHocRecognizers: p.adHocRecognizers.map((r) => ({
      name: r.name,
      supportedEntity: r.supportedEntity,
      patterns: r.patterns.map(({ name, regex, score }) => ({ name, regex, score })),
      denyList: [...r.denyList],
    })),
    outputParsePii: p.outputParsePii,
    analyzerApiBase: p.analyzerApiBase,
    anonymizerApiBase: p.anonymizerApiBase,
    language: p.language,
    spacyModel: p.spacyModel,
    phoneRegions: [...p.phoneRegions],
    keywords: [...p.keywords],
    patterns: [...p.patterns],
    keywordAction: p.keywordAction,
    onFlagged: p.onFlagged,
    timeout: p.timeout,
    unreachableFallback: p.unreachableFallback,
    streamHold: p.streamHold,
  };
}

function kindFields(values: GuardrailFormValues): Partial<GuardrailPolicyInput> {
  const remote = { timeout: Number(values.timeout), unreachableFallback: values.unreachableFallback };
  switch (values.guardrail) {
    case GuardrailKind.Presidio:
      return {
        ...remote,
        piiEntities: rules(values.piiEntities) ?? [],
        scoreThresholds: scores(values.scoreThresholds) ?? [],
        allowList: nonEmpty(values.allowList),
        outputParsePii: values.outputParsePii,
        analyzerApiBase: values.analyzerApiBase.trim() || null,
        anonymizerApiBase: values.anonymizerApiBase.trim() || null,
        language: values.language.trim(),
        spacyModel: values.spacyModel.trim() || null,
        phoneRegions: values.phoneRegions.split(",").map((r) => r.trim()).filter(Boolean),
      };
    case GuardrailKind.Keywords:
      return { keywords: nonEmpty(values.keywords), patterns: nonEmpty(values.patterns), keywordAction: values.keywordAction };
    default:
      return {
        ...remote,
        apiBase: values.apiBase.trim() || null,
        threshold: values.threshold.trim() ? Number(values.threshold.trim()) : null,
        onFlagged: values.onFlagged,
      };
  }
}

/** The API's input: the stored policy overlaid with the shown fields; the key only when typed. */
export function guardrailInput(values: GuardrailFormValues): GuardrailPolicyInput {
  const base: GuardrailPolicyInput = values.original
    ? inputFromPolicy(values.original)
    : { name: "", guardrail: values.guardrail };
  const input: GuardrailPolicyInput = {
    ...base,
    name: values.name.trim(),
    guardrail: values.guardrail,
    mode: values.mode,
    defaultOn: values.defaultOn,
    streamHold: values.mode === GuardrailMode.PostCall ? values.streamHold : (base.streamHold ?? false),
    ...kindFields(values),
  };
  if (values.guardrail === GuardrailKind.Lakera && values.apiKey) input.apiKey = values.apiKey;
  return input;
}

const FIELDS: ReadonlySet<string> = new Set(Object.keys(EMPTY_GUARDRAIL_FORM).filter((k) => k !== "original"));

export function guardrailPayloadErrors(
  errors: ReadonlyArray<{ field: string | null; message: string }>,
): GuardrailFormErrors {
  const found: GuardrailFormErrors = {};
  for (const error of errors) {
    const field = error.field !== null && FIELDS.has(error.field) ? (error.field as GuardrailFormField) : undefined;
    if (field) found[field] = error.message;
    else found.form = found.form ? `${found.form} ${error.message}` : error.message;
  }
  return found;
}
