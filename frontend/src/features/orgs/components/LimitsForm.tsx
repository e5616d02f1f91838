import { useState, type FormEvent } from "react";

import { Button } from "../../../components/ui/Button";
import { TextField } from "../../../components/ui/Field";
import { Alert } from "../../../components/ui/States";
import {
  validateLimitsForm,
  type LimitsFormErrors,
  type LimitsFormField,
  type LimitsFormShape,
  type LimitsFormValues,
} from "../limitsForm";

interface Props {
  /** The form's accessible name. */
  label: string;
  submitLabel: string;
  shape: LimitsFormShape;
  initial: LimitsFormValues;
  /** Saves; answers the API's refusals by field, or null on success. */
  onSubmit: (values: LimitsFormValues) => Promise<LimitsFormErrors | null>;
  onCancel: () => void;
}

/** A name and budget/rate limits, checked before anything is sent. */
export function LimitsForm({ label, submitLabel, shape, initial, onSubmit, onCancel }: Props) {
  const [values, setValues] = useState(initial);
  const [errors, setErrors] = useState<LimitsFormErrors>({});
  const [busy, setBusy] = useState(false);

  function field(name: LimitsFormField) {
    return {
      value: values[name],
      onChange: (e: { target: { value: string } }) => {
        setValues((v) => ({ ...v, [name]: e.target.value }));
        setErrors(({ [name]: _fixed, ...rest }) => rest);
      },
      error: errors[name],
    };
  }

  async function submit(event: FormEvent): Promise<void> {
    event.preventDefault();
    const found = validateLimitsForm(values, shape);
    setErrors(found);
    if (Object.keys(found).length > 0) return;
    setBusy(true);
    try {
      const refused = await onSubmit(values);
      if (refused) setErrors(refused);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form noValidate onSubmit={(e) => void submit(e)} className="space-y-4" aria-label={label}>
      {errors.form && <Alert tone="error">{errors.form}</Alert>}
      {shape.name && <TextField label="Name" autoComplete="off" {...field("name")} />}
      <div className="grid grid-cols-1 gap-3 sm:grid-cols-3">
        <TextField label="Budget (USD)" inputMode="decimal" placeholder="No budget" {...field("maxBudget")} />
        {shape.softBudget && (
          <TextField label="Soft budget (USD)" inputMode="decimal" hint="Alerts only." {...field("softBudget")} />
        )}
        <TextField label="Budget period" placeholder="e.g. 30d" hint="Resets every period." {...field("budgetDuration")} />
      </div>
      <div className="grid grid-cols-1 gap-3 sm:grid-cols-3">
        <TextField label="Requests per minute" inputMode="numeric" {...field("rpmLimit")} />
        <TextField label="Tokens per minute" inputMode="numeric" {...field("tpmLimit")} />
        <TextField label="Parallel requests" inputMode="numeric" {...field("maxParallelRequests")} />
      </div>
      {shape.models && (
        <TextField label="Models" placeholder="All models" hint="Comma-separated; empty allows every model." {...field("models")} />
      )}
      <div className="flex justify-end gap-2">
        <Button variant="secondary" onClick={onCancel}>
          Cancel
        </Button>
        <Button type="submit" disabled={busy}>
          {busy ? "Saving…" : submitLabel}
        </Button>
      </div>
    </form>
  );
}
