import { useState, type FormEvent } from "react";

import { Button } from "../../../components/ui/Button";
import { SelectField, TextField } from "../../../components/ui/Field";
import { Alert } from "../../../components/ui/States";
import { GuardrailKind, GuardrailMode } from "../../../gql/graphql";
import { KeywordFields, LakeraFields, PresidioFields } from "./GuardrailKindFields";
import {
  validateGuardrail,
  type GuardrailFormErrors,
  type GuardrailFormValues,
} from "../guardrailForm";

const MODES: Array<[GuardrailMode, string]> = [
  [GuardrailMode.PreCall, "Before the call"],
  [GuardrailMode.DuringCall, "During the call"],
  [GuardrailMode.PostCall, "After the call"],
  [GuardrailMode.LoggingOnly, "Logging only"],
];

interface Props {
  mode: "create" | "edit";
  initial: GuardrailFormValues;
  hasApiKey?: boolean;
  onSubmit: (values: GuardrailFormValues) => Promise<GuardrailFormErrors | null>;
  onCancel: () => void;
}

export function GuardrailForm({ mode, initial, hasApiKey = false, onSubmit, onCancel }: Props) {
  const [values, setValues] = useState(initial);
  const [errors, setErrors] = useState<GuardrailFormErrors>({});
  const [busy, setBusy] = useState(false);
  const set = <K extends keyof GuardrailFormValues>(field: K, value: GuardrailFormValues[K]) =>
    setValues((v) => ({ ...v, [field]: value }));

  async function submit(event: FormEvent): Promise<void> {
    event.preventDefault();
    const found = validateGuardrail(values);
    setErrors(found);
    if (Object.keys(found).length > 0) return;
    setBusy(true);
    try {
      setErrors((await onSubmit(values)) ?? {});
    } finally {
      setBusy(false);
    }
  }

  return (
    <form noValidate onSubmit={(e) => void submit(e)} className="space-y-4">
      {errors.form && <Alert tone="error">{errors.form}</Alert>}
      <TextField
        label="Name"
        value={values.name}
        error={errors.name}
        disabled={mode === "edit"}
        hint={mode === "edit" ? "The name identifies the policy." : "Callers opt in with this name."}
        onChange={(e) => set("name", e.target.value)}
      />
      <div className="grid grid-cols-1 gap-3 sm:grid-cols-2">
        <SelectField
          label="Type"
          value={values.guardrail}
          error={errors.guardrail}
          onChange={(e) => set("guardrail", e.target.value as GuardrailKind)}
        >
          <option value={GuardrailKind.Presidio}>Presidio (PII)</option>
          <option value={GuardrailKind.Lakera}>Lakera (prompt injection)</option>
          <option value={GuardrailKind.Keywords}>Keywords and patterns</option>
        </SelectField>
        <SelectField label="Mode" value={values.mode} error={errors.mode} onChange={(e) => set("mode", e.target.value as GuardrailMode)}>
          {MODES.map(([value, label]) => (
            <option key={value} value={value}>
              {label}
            </option>
          ))}
        </SelectField>
      </div>
      <label className="flex items-center gap-2 text-sm">
        <input type="checkbox" checked={values.defaultOn} onChange={(e) => set("defaultOn", e.target.checked)} />
        On for every request unless the caller opts out
      </label>
      {values.guardrail === GuardrailKind.Presidio && <PresidioFields values={values} errors={errors} set={set} />}
      {values.guardrail === GuardrailKind.Keywords && <KeywordFields values={values} errors={errors} set={set} />}
      {values.guardrail === GuardrailKind.Lakera && <LakeraFields hasApiKey={hasApiKey} values={values} errors={errors} set={set} />}
      {values.mode === GuardrailMode.PostCall && (
        <label className="flex items-center gap-2 text-sm">
          <input type="checkbox" checked={values.streamHold} onChange={(e) => set("streamHold", e.target.checked)} />
          Hold streamed answers until the whole answer is checked
        </label>
      )}
      <div className="flex justify-end gap-2">
        <Button variant="secondary" onClick={onCancel}>
          Cancel
        </Button>
        <Button type="submit" disabled={busy}>
          {busy ? "Saving…" : mode === "create" ? "Add policy" : "Save changes"}
        </Button>
      </div>
    </form>
  );
}
