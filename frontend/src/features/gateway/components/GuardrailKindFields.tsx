import { FieldShell, inputClass, SelectField, TextField } from "../../../components/ui/Field";
import { GuardrailFallback, GuardrailOnFlagged, PiiAction } from "../../../gql/graphql";
import type { GuardrailFormErrors, GuardrailFormValues } from "../guardrailForm";

// The inputs of each guardrail kind; GuardrailForm shows the ones of the chosen kind.

export interface KindFieldsProps {
  values: GuardrailFormValues;
  errors: GuardrailFormErrors;
  set: <K extends keyof GuardrailFormValues>(field: K, value: GuardrailFormValues[K]) => void;
}

type TextKey = {
  [K in keyof GuardrailFormValues]: GuardrailFormValues[K] extends string ? K : never;
}[keyof GuardrailFormValues];

function Lines({ field, label, hint, rows = 3, values, errors, set }: KindFieldsProps & { field: TextKey; label: string; hint: string; rows?: number }) {
  return (
    <FieldShell label={label} error={errors[field]} hint={hint}>
      {({ id, describedBy, invalid }) => (
        <textarea
          id={id}
          rows={rows}
          aria-describedby={describedBy}
          aria-invalid={invalid || undefined}
          className={`${inputClass} font-mono`}
          value={values[field]}
          onChange={(e) => set(field, e.target.value)}
        />
      )}
    </FieldShell>
  );
}

/** Timeout and fallback: Lakera, and Presidio when it calls an analyzer over HTTP. */
function RemoteFields({ values, errors, set, hint }: KindFieldsProps & { hint: string }) {
  return (
    <div className="grid grid-cols-1 gap-3 sm:grid-cols-2">
      <TextField label="Timeout (s)" inputMode="decimal" value={values.timeout} error={errors.timeout} hint={hint} onChange={(e) => set("timeout", e.target.value)} />
      <SelectField
        label="When the service is unreachable"
        value={values.unreachableFallback}
        error={errors.unreachableFallback}
        onChange={(e) => set("unreachableFallback", e.target.value as GuardrailFallback)}
      >
        <option value={GuardrailFallback.FailClosed}>Refuse the request (fail closed)</option>
        <option value={GuardrailFallback.FailOpen}>Let it through (fail open)</option>
      </SelectField>
    </div>
  );
}

export function PresidioFields(props: KindFieldsProps) {
  const { values, errors, set } = props;
  return (
    <>
      <Lines {...props} field="piiEntities" label="PII entities" rows={4} hint="One rule a line, like EMAIL_ADDRESS MASK or US_SSN BLOCK." />
      <div className="grid grid-cols-1 gap-3 sm:grid-cols-2">
        <Lines {...props} field="scoreThresholds" label="Score thresholds" hint="One a line, like PERSON 0.6. Empty: 0.5 for all." />
        <Lines {...props} field="allowList" label="Allow list" hint="Words or phrases never treated as PII, one a line." />
      </div>
      <div className="grid grid-cols-1 gap-3 sm:grid-cols-3">
        <TextField label="Language" value={values.language} error={errors.language} onChange={(e) => set("language", e.target.value)} />
        <TextField label="spaCy model" placeholder="en_core_web_lg" value={values.spacyModel} error={errors.spacyModel} onChange={(e) => set("spacyModel", e.target.value)} />
        <TextField label="Phone regions" placeholder="US, GB" value={values.phoneRegions} error={errors.phoneRegions} onChange={(e) => set("phoneRegions", e.target.value)} />
      </div>
      <div className="grid grid-cols-1 gap-3 sm:grid-cols-2">
        <TextField
          label="Analyzer API base"
          placeholder="http://presidio-analyzer:3000"
          hint="Empty: analyze in the gateway."
          value={values.analyzerApiBase}
          error={errors.analyzerApiBase}
          onChange={(e) => set("analyzerApiBase", e.target.value)}
        />
        <TextField
          label="Anonymizer API base"
          placeholder="http://presidio-anonymizer:3000"
          value={values.anonymizerApiBase}
          error={errors.anonymizerApiBase}
          onChange={(e) => set("anonymizerApiBase", e.target.value)}
        />
      </div>
      <RemoteFields {...props} hint="For the analyzer API." />
      <label className="flex items-center gap-2 text-sm">
        <input type="checkbox" checked={values.outputParsePii} onChange={(e) => set("outputParsePii", e.target.checked)} />
        Put the masked values back into the answer
      </label>
      {values.original && values.original.adHocRecognizers.length > 0 && (
        <p className="text-xs text-slate-600 dark:text-slate-400">
          {values.original.adHocRecognizers.length} custom recognizer(s) from the API are kept as they are.
        </p>
      )}
    </>
  );
}

export function KeywordFields(props: KindFieldsProps) {
  const { values, errors, set } = props;
  return (
    <>
      <div className="grid grid-cols-1 gap-3 sm:grid-cols-2">
        <Lines {...props} field="keywords" label="Keywords" rows={4} hint="One word or phrase a line; case is ignored." />
        <Lines {...props} field="patterns" label="Patterns" rows={4} hint="One regular expression a line." />
      </div>
      <SelectField
        label="On a match"
        className="max-w-sm"
        value={values.keywordAction}
        error={errors.keywordAction}
        onChange={(e) => set("keywordAction", e.target.value as PiiAction)}
      >
        <option value={PiiAction.Block}>Block the request</option>
        <option value={PiiAction.Mask}>Mask the match</option>
      </SelectField>
    </>
  );
}

export function LakeraFields({ hasApiKey, ...props }: KindFieldsProps & { hasApiKey: boolean }) {
  const { values, errors, set } = props;
  return (
    <>
      <TextField label="API base" placeholder="https://api.lakera.ai" value={values.apiBase} error={errors.apiBase} onChange={(e) => set("apiBase", e.target.value)} />
      <TextField
        label="API key"
        type="password"
        autoComplete="new-password"
        value={values.apiKey}
        error={errors.apiKey}
        hint={hasApiKey ? "A key is stored and never shown. Leave empty to keep it." : "Stored encrypted, never shown again."}
        onChange={(e) => set("apiKey", e.target.value)}
      />
      <div className="grid grid-cols-1 gap-3 sm:grid-cols-2">
        <TextField label="Threshold" inputMode="decimal" hint="From 0 to 1." value={values.threshold} error={errors.threshold} onChange={(e) => set("threshold", e.target.value)} />
        <SelectField label="When flagged" value={values.onFlagged} error={errors.onFlagged} onChange={(e) => set("onFlagged", e.target.value as GuardrailOnFlagged)}>
          <option value={GuardrailOnFlagged.Block}>Block the request</option>
          <option value={GuardrailOnFlagged.Monitor}>Only log it (monitor)</option>
        </SelectField>
      </div>
      <RemoteFields {...props} hint="Per call to Lakera." />
    </>
  );
}
