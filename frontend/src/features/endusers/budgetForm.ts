export interface BudgetValues {
  maxBudget: string;
  budgetDuration: string;
}
export type BudgetErrors = Partial<Record<keyof BudgetValues | "form", string>>;

const DURATION = /^[1-9]\d*(s|m|h|d|mo)$/;
const DECIMAL = /^\d+(\.\d+)?$/;

export function validateBudget(values: BudgetValues): BudgetErrors {
  const errors: BudgetErrors = {};
  const budget = values.maxBudget.trim();
  const duration = values.budgetDuration.trim();
  if (budget !== "" && !DECIMAL.test(budget)) errors.maxBudget = "A non-negative amount in dollars, like 25 or 12.50.";
  if (duration !== "" && !DURATION.test(duration)) errors.budgetDuration = "A number and a unit: 30m, 1h, 1d, 7d or 1mo.";
  else if (duration !== "" && budget === "") errors.budgetDuration = "A budget period needs a budget.";
  return errors;
}

/** The API names the argument maxBudget/budgetDuration; anything else goes above the form. */
export function budgetPayloadErrors(errors: ReadonlyArray<{ field?: string | null; message: string }>): BudgetErrors | null {
  if (errors.length === 0) return null;
  const found: BudgetErrors = {};
  for (const error of errors) {
    if (error.field === "maxBudget" || error.field === "budgetDuration") found[error.field] = error.message;
    else found.form = found.form ? `${found.form} ${error.message}` : error.message;
  }
  return found;
}
