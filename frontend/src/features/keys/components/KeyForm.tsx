import { useState, type FormEvent } from "react";

import { Button } from "../../../components/ui/Button";
import { SelectField, TextField } from "../../../components/ui/Field";
import { Alert } from "../../../components/ui/States";
import type { GuardrailChoiceFieldsFragment } from "../../../gql/graphql";
import {
  modelNames,
  toggleModel,
  validateKeyForm,
  type KeyFormErrors,
  type KeyFormField,
  type KeyFormValues,
  type KeyTextField,
} from "../keyForm";
import { KeyPolicyFields, type KeyPolicyValues } from "./KeyPolicyFields";

export interface KeyFormOptions {
  teams: Array<{ id: string; name: string; orgId: string; orgName: string; guardrails: string[] }>;
  /** Accounts a key may belong to; null when the viewer may not list users (the key is theirs). */
  users: Array<{ id: string; email: string }> | null;
  /** Every model group the gateway serves (from the schema's modelGroups). */
  models: string[];
  /** The defined guardrail policies (gatewaySettings.guardrails). */
  guardrails: GuardrailChoiceFieldsFragment[];
}

interface Props {
  mode: "create" | "edit";
  initial: KeyFormValues;
  options: KeyFormOptions;
  /** Saves; answers the API's refusals by field, or null on success. */
  onSubmit: (values: KeyFormValues) => Promise<KeyFormErrors | null>;
  onCancel: () => void;
  /** Whether the viewer may set the policy (guardrails, cache controls) of a key of the team
   * (the form's team when creating; "" for none). */
  maySetPolicy: (teamId: string) => boolean;
}

export function KeyForm({ mode, initial, options, onSubmit, onCancel, maySetPolicy }: Props) {
  const [values, setValues] = useState(initial);
  const [errors, setErrors] = useState<KeyFormErrors>({});
  const [busy, setBusy] = useState(false);

  function field(name: KeyTextField) {
    return {
      value: values[name],
      onChange: (e: { target: { value: string } }) => {
        setValues((v) => ({ ...v, [name]: e.target.value }));
        // A corrected field loses its complaint; the rest wait for the next submit.
        setErrors(({ [name]: _fixed, ...rest }) => rest);
      },
      error: errors[name],
    };
  }

  const chosen = new Set(modelNames(values.models));
  const policy = maySetPolicy(values.teamId);
  const teamGuardrails = options.teams.find((t) => t.id === values.teamId)?.guardrails ?? [];

  function changePolicy(change: Partial<KeyPolicyValues>): void {
    setValues((v) => ({ ...v, ...change }));
    setErrors((current) => {
      const rest = { ...current };
      for (const name of Object.keys(change) as KeyFormField[]) delete rest[name];
      return rest;
    });
  }

  async function submit(event: FormEvent): Promise<void> {
    event.preventDefault();
    const found = validateKeyForm(values);
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
    <form noValidate onSubmit={(e) => void submit(e)} className="space-y-4" aria-label={mode === "create" ? "New key" : "Edit key"}>
      {errors.form && <Alert tone="error">{errors.form}</Alert>}
      <TextField label="Alias" placeholder="billing-service" {...field("alias")} />
      {mode === "create" && (
        <div className="grid grid-cols-2 gap-3">
          <SelectField label="Team" {...field("teamId")}>
            <option value="">No team</option>
            {options.teams.map((t) => (
              <option key={t.id} value={t.id}>
                {t.orgName} / {t.name}
              </option>
            ))}
          </SelectField>
          {options.users && (
            <SelectField label="User" {...field("userId")}>
              <option value="">No user</option>
              {options.users.map((u) => (
                <option key={u.id} value={u.id}>
                  {u.email}
                </option>
              ))}
            </SelectField>
          )}
        </div>
      )}
      <TextField
        label="Models"
        placeholder="gpt-4o, demo"
        hint="Comma-separated model groups; empty allows every model."
        list="key-model-names"
        {...field("models")}
      />
      <datalist id="key-model-names">
        {options.models.map((m) => (
          <option key={m} value={m} />
        ))}
      </datalist>
      {options.models.length > 0 && (
        <fieldset className="-mt-2 rounded-md border border-slate-200 p-2 dark:border-slate-700">
          <legend className="px-1 text-xs text-slate-600 dark:text-slate-400">Models the gateway serves</legend>
          <div className="flex max-h-32 flex-wrap gap-x-4 gap-y-1 overflow-y-auto">
            {options.models.map((m) => (
              <label key={m} className="flex min-w-0 items-center gap-1.5 text-sm">
                <input
                  type="checkbox"
                  checked={chosen.has(m)}
                  onChange={(e) => field("models").onChange({ target: { value: toggleModel(values.models, m, e.target.checked) } })}
                />
                <span className="break-all">{m}</span>
              </label>
            ))}
          </div>
        </fieldset>
      )}
      <div className="grid grid-cols-3 gap-3">
        <TextField label="Budget ($)" inputMode="decimal" {...field("maxBudget")} />
        <TextField label="Soft budget ($)" inputMode="decimal" {...field("softBudget")} />
        <TextField label="Budget period" placeholder="30d" hint="e.g. 1d, 7d, 1mo" {...field("budgetDuration")} />
      </div>
      <div className="grid grid-cols-3 gap-3">
        <TextField label="Requests / minute" inputMode="numeric" {...field("rpmLimit")} />
        <TextField label="Tokens / minute" inputMode="numeric" {...field("tpmLimit")} />
        <TextField label="Parallel requests" inputMode="numeric" {...field("maxParallelRequests")} />
      </div>
      <div className="grid grid-cols-2 gap-3">
        <TextField label="Expires" type="datetime-local" hint="Your local time. Empty: never." {...field("expiresAt")} />
        <TextField label="Tags" placeholder="prod, billing" hint="Comma-separated." {...field("tags")} />
      </div>
      {policy && (
        <KeyPolicyFields
          values={values}
          errors={errors}
          policies={options.guardrails}
          teamGuardrails={teamGuardrails}
          onChange={changePolicy}
        />
      )}
      <div className="flex justify-end gap-2 pt-2">
        <Button variant="secondary" onClick={onCancel}>
          Cancel
        </Button>
        <Button type="submit" disabled={busy}>
          {busy ? "Saving…" : mode === "create" ? "Create key" : "Save changes"}
        </Button>
      </div>
    </form>
  );
}
