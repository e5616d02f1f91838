import { useId } from "react";

import type { GuardrailChoiceFieldsFragment } from "../../../gql/graphql";
import { GuardrailPicker } from "../../gateway/components/GuardrailPicker";
import { CACHE_CONTROLS, toggleName, type KeyFormErrors, type KeyFormValues } from "../keyForm";

export type KeyPolicyValues = Pick<KeyFormValues, "guardrails" | "allowRequestGuardrails" | "allowedCacheControls">;

const CACHE_CONTROL_HINTS: Record<(typeof CACHE_CONTROLS)[number], string> = {
  ttl: "how long an answer is kept",
  "s-maxage": "the oldest cached answer accepted",
  "no-cache": "skip reading the cache",
  "no-store": "skip writing the cache",
  namespace: "a cache of their own",
};

interface Props {
  values: KeyPolicyValues;
  errors: KeyFormErrors;
  policies: readonly GuardrailChoiceFieldsFragment[];
  /** The guardrails of the key's team: they run too. */
  teamGuardrails: readonly string[];
  onChange: (change: Partial<KeyPolicyValues>) => void;
}

/** A key's guardrails and the cache controls its requests may use (shown only to those who
 * manage the key's team: the API refuses them to the rest). */
export function KeyPolicyFields({ values, errors, policies, teamGuardrails, onChange }: Props) {
  const cacheErrorId = useId();
  const allowId = useId();
  return (
    <div className="space-y-3">
      <GuardrailPicker
        legend="Guardrails"
        policies={policies}
        selected={values.guardrails}
        onChange={(guardrails) => onChange({ guardrails })}
        inherited={{ label: "From the team:", names: teamGuardrails }}
        error={errors.guardrails}
      />
      <div className="flex items-start gap-2 text-sm">
        <input
          id={allowId}
          type="checkbox"
          role="switch"
          className="mt-0.5"
          aria-describedby={`${allowId}-hint`}
          checked={values.allowRequestGuardrails}
          onChange={(e) => onChange({ allowRequestGuardrails: e.target.checked })}
        />
        <div>
          <label htmlFor={allowId} className="font-medium text-slate-800 dark:text-slate-200">
            Allow request guardrails
          </label>
          <p id={`${allowId}-hint`} className="text-xs text-slate-600 dark:text-slate-400">
            A request may name more guardrails to run; it can never turn off the ones above.
          </p>
        </div>
      </div>
      <fieldset
        aria-describedby={errors.allowedCacheControls ? cacheErrorId : undefined}
        className="min-w-0 rounded-md border border-slate-200 p-2 dark:border-slate-700"
      >
        <legend className="px-1 text-sm font-medium text-slate-800 dark:text-slate-200">Allowed cache controls</legend>
        <p className="px-1 pb-1 text-xs text-slate-600 dark:text-slate-400">
          What a request's cache options may change; none ticked: the gateway's cache settings only.
        </p>
        <ul className="grid grid-cols-1 gap-x-4 gap-y-1 sm:grid-cols-2">
          {CACHE_CONTROLS.map((control) => (
            <li key={control} className="flex min-w-0 flex-wrap items-center gap-x-1.5 text-sm">
              <label className="flex items-center gap-1.5">
                <input
                  type="checkbox"
                  aria-describedby={`${cacheErrorId}-${control}`}
                  checked={values.allowedCacheControls.includes(control)}
                  onChange={(e) =>
                    onChange({ allowedCacheControls: toggleName(values.allowedCacheControls, control, e.target.checked) })
                  }
                />
                <span className="font-mono">{control}</span>
              </label>
              <span id={`${cacheErrorId}-${control}`} className="text-xs text-slate-600 dark:text-slate-400">
                {CACHE_CONTROL_HINTS[control]}
              </span>
            </li>
          ))}
        </ul>
        {errors.allowedCacheControls && (
          <p id={cacheErrorId} className="mt-1 px-1 text-xs text-red-700 dark:text-red-400">
            {errors.allowedCacheControls}
          </p>
        )}
      </fieldset>
    </div>
  );
}
