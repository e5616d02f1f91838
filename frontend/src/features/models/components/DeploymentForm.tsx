import { useState, type FormEvent } from "react";

import { Button } from "../../../components/ui/Button";
import { SelectField, TextField } from "../../../components/ui/Field";
import { Alert } from "../../../components/ui/States";
import {
  PROVIDERS,
  validateDeployment,
  type DeploymentFormErrors,
  type DeploymentFormValues,
} from "../deploymentForm";

interface Props {
  mode: "create" | "edit";
  initial: DeploymentFormValues;
  /** Whether a key is stored (edit): an empty key field keeps it. */
  hasApiKey?: boolean;
  /** Resolves to the API's refusals, or null once saved. */
  onSubmit: (values: DeploymentFormValues) => Promise<DeploymentFormErrors | null>;
  onCancel: () => void;
}

export function DeploymentForm({ mode, initial, hasApiKey = false, onSubmit, onCancel }: Props) {
  const [values, setValues] = useState(initial);
  const [errors, setErrors] = useState<DeploymentFormErrors>({});
  const [busy, setBusy] = useState(false);

  const bind = (field: keyof DeploymentFormValues) => ({
    value: values[field],
    error: errors[field],
    onChange: (e: { target: { value: string } }) => setValues((v) => ({ ...v, [field]: e.target.value })),
  });

  async function submit(event: FormEvent): Promise<void> {
    event.preventDefault();
    const found = validateDeployment(values);
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
      <TextField label="Model name" hint="The name callers send as model." required {...bind("modelName")} />
      <div className="grid grid-cols-1 gap-3 sm:grid-cols-[10rem_1fr]">
        <SelectField label="Provider" {...bind("provider")}>
          {PROVIDERS.map((p) => (
            <option key={p} value={p}>
              {p}
            </option>
          ))}
        </SelectField>
        <TextField label="Provider model" placeholder="gpt-4o" required {...bind("providerModel")} />
      </div>
      <TextField label="API base" placeholder="https://api.openai.com/v1" {...bind("apiBase")} />
      <TextField
        label="API key"
        type="password"
        autoComplete="new-password"
        hint={hasApiKey ? "A key is stored and never shown. Leave empty to keep it." : "Stored encrypted, never shown again."}
        {...bind("apiKey")}
      />
      <div className="grid grid-cols-1 gap-3 sm:grid-cols-3">
        <TextField label="Requests / minute" inputMode="numeric" {...bind("rpm")} />
        <TextField label="Tokens / minute" inputMode="numeric" {...bind("tpm")} />
        <TextField label="Weight" inputMode="decimal" hint="Share of the group's traffic." {...bind("weight")} />
      </div>
      <div className="flex justify-end gap-2">
        <Button variant="secondary" onClick={onCancel}>
          Cancel
        </Button>
        <Button type="submit" disabled={busy}>
          {busy ? "Saving…" : mode === "create" ? "Add deployment" : "Save changes"}
        </Button>
      </div>
    </form>
  );
}
