import { useState, type FormEvent } from "react";

import { Button } from "../../../components/ui/Button";
import { TextField } from "../../../components/ui/Field";
import { Alert } from "../../../components/ui/States";
import { validateBudget, type BudgetErrors, type BudgetValues } from "../budgetForm";

interface Props {
  initial: BudgetValues;
  onSubmit: (values: BudgetValues) => Promise<BudgetErrors | null>;
  onCancel: () => void;
}

/** An end user's budget: an empty amount removes it. */
export function BudgetForm({ initial, onSubmit, onCancel }: Props) {
  const [values, setValues] = useState(initial);
  const [errors, setErrors] = useState<BudgetErrors>({});
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent): Promise<void> {
    event.preventDefault();
    const found = validateBudget(values);
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
    <form noValidate onSubmit={(e) => void submit(e)} className="space-y-4" aria-label="End user budget">
      {errors.form && <Alert tone="error">{errors.form}</Alert>}
      <TextField
        label="Budget (USD)"
        inputMode="decimal"
        placeholder="No budget"
        value={values.maxBudget}
        error={errors.maxBudget}
        onChange={(e) => setValues((v) => ({ ...v, maxBudget: e.target.value }))}
      />
      <TextField
        label="Budget period"
        placeholder="e.g. 30d"
        hint="Resets every period; empty never resets."
        value={values.budgetDuration}
        error={errors.budgetDuration}
        onChange={(e) => setValues((v) => ({ ...v, budgetDuration: e.target.value }))}
      />
      <div className="flex justify-end gap-2">
        <Button variant="secondary" onClick={onCancel}>
          Cancel
        </Button>
        <Button type="submit" disabled={busy}>
          Save budget
        </Button>
      </div>
    </form>
  );
}
