import { useState, type FormEvent } from "react";

import { Button } from "../../../components/ui/Button";
import { Alert, Card } from "../../../components/ui/States";
import type { GuardrailChoiceFieldsFragment } from "../../../gql/graphql";
import { GuardrailBadges, GuardrailPicker } from "../../gateway/components/GuardrailPicker";

export type TeamGuardrailErrors = { guardrails?: string; form?: string };

/** The API's payload errors: the picker's own, the rest above the form. */
export function teamGuardrailErrors(errors: ReadonlyArray<{ field: string | null; message: string }>): TeamGuardrailErrors | null {
  if (errors.length === 0) return null;
  const found: TeamGuardrailErrors = {};
  for (const error of errors) {
    const key = error.field === "guardrails" ? "guardrails" : "form";
    found[key] = found[key] ? `${found[key]} ${error.message}` : error.message;
  }
  return found;
}

/** The guardrails every call with one of the team's keys runs, besides the default-on ones. */
export function TeamGuardrailsCard({
  guardrails,
  policies,
  onEdit,
}: {
  guardrails: readonly string[];
  policies: readonly GuardrailChoiceFieldsFragment[];
  /** Absent for viewers who may not change them. */
  onEdit?: (() => void) | undefined;
}) {
  const always = policies.filter((p) => p.defaultOn).map((p) => p.name);
  return (
    <Card
      title="Guardrails"
      actions={
        onEdit && (
          <Button variant="secondary" size="sm" onClick={onEdit}>
            Edit guardrails
          </Button>
        )
      }
    >
      {guardrails.length > 0 ? (
        <GuardrailBadges names={guardrails} label="Team guardrails" />
      ) : (
        <p className="text-sm text-slate-600 dark:text-slate-400">None: the team's keys run only their own guardrails.</p>
      )}
      {always.length > 0 && (
        <div className="mt-2 flex min-w-0 flex-wrap items-center gap-1 text-xs text-slate-600 dark:text-slate-400">
          <span>Every call also runs:</span>
          <GuardrailBadges names={always} label="Default guardrails" />
        </div>
      )}
    </Card>
  );
}

/** Choose the team's guardrails among the defined policies; saves with ``onSubmit``. */
export function TeamGuardrailsForm({
  initial,
  policies,
  onSubmit,
  onCancel,
}: {
  initial: readonly string[];
  policies: readonly GuardrailChoiceFieldsFragment[];
  /** Answers the API's refusals, or null once saved. */
  onSubmit: (guardrails: string[]) => Promise<TeamGuardrailErrors | null>;
  onCancel: () => void;
}) {
  const [selected, setSelected] = useState<string[]>([...initial]);
  const [errors, setErrors] = useState<TeamGuardrailErrors>({});
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent): Promise<void> {
    event.preventDefault();
    setBusy(true);
    try {
      setErrors((await onSubmit(selected)) ?? {});
    } finally {
      setBusy(false);
    }
  }

  return (
    <form noValidate onSubmit={(e) => void submit(e)} className="space-y-4" aria-label="Team guardrails">
      {errors.form && <Alert tone="error">{errors.form}</Alert>}
      <p className="text-sm text-slate-600 dark:text-slate-400">
        Every call with one of the team's keys runs these, besides each key's own; the team's admins and
        developers cannot take them off.
      </p>
      <GuardrailPicker
        legend="Guardrails"
        policies={policies}
        selected={selected}
        onChange={(names) => {
          setSelected(names);
          setErrors(({ form }) => (form ? { form } : {}));
        }}
        error={errors.guardrails}
      />
      <div className="flex justify-end gap-2 pt-2">
        <Button variant="secondary" onClick={onCancel}>
          Cancel
        </Button>
        <Button type="submit" disabled={busy}>
          {busy ? "Saving…" : "Save guardrails"}
        </Button>
      </div>
    </form>
  );
}
