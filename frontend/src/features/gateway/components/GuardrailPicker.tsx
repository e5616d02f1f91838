import { useId } from "react";

import { Badge } from "../../../components/ui/States";
import { cn } from "../../../components/ui/cn";
import type { GuardrailChoiceFieldsFragment } from "../../../gql/graphql";
import { GUARDRAIL_MODE_LABELS } from "../guardrailForm";

// Choosing guardrail policies by name for a key or a team. Default-on policies run on every
// call anyway: they are shown ticked and cannot be unticked. A chosen name that no policy has
// any more (a policy removed after it was assigned) stays listed so that it can be removed.

interface PickerProps {
  legend: string;
  policies: readonly GuardrailChoiceFieldsFragment[];
  selected: readonly string[];
  onChange: (names: string[]) => void;
  /** Guardrails that apply from elsewhere (the key's team), shown but not chosen here. */
  inherited?: { label: string; names: readonly string[] } | undefined;
  error?: string | undefined;
}

export function GuardrailPicker({ legend, policies, selected, onChange, inherited, error }: PickerProps) {
  const errorId = useId();
  const defined = new Set(policies.map((p) => p.name));
  const optional = policies.filter((p) => !p.defaultOn);
  const always = policies.filter((p) => p.defaultOn);
  const missing = selected.filter((name) => !defined.has(name));
  const chosen = new Set(selected);

  function toggle(name: string, on: boolean): void {
    const rest = selected.filter((n) => n !== name);
    onChange(on ? [...rest, name] : rest);
  }

  return (
    <fieldset
      aria-describedby={error ? errorId : undefined}
      className={cn(
        "min-w-0 rounded-md border p-2",
        error ? "border-red-500" : "border-slate-200 dark:border-slate-700",
      )}
    >
      <legend className="px-1 text-sm font-medium text-slate-800 dark:text-slate-200">{legend}</legend>
      {policies.length === 0 && missing.length === 0 && (
        <p className="px-1 text-sm text-slate-600 dark:text-slate-400">No guardrail policy is defined.</p>
      )}
      <ul className="grid grid-cols-1 gap-x-4 gap-y-1 sm:grid-cols-2">
        {optional.map((p) => (
          <li key={p.name} className="min-w-0">
            <label className="flex min-w-0 items-center gap-1.5 text-sm">
              <input type="checkbox" checked={chosen.has(p.name)} onChange={(e) => toggle(p.name, e.target.checked)} />
              <span className="truncate" title={p.name}>
                {p.name}
              </span>
              <span className="shrink-0 text-xs text-slate-600 dark:text-slate-400">{GUARDRAIL_MODE_LABELS[p.mode]}</span>
            </label>
          </li>
        ))}
        {missing.map((name) => (
          <li key={name} className="min-w-0">
            <label className="flex min-w-0 items-center gap-1.5 text-sm">
              <input type="checkbox" checked onChange={(e) => toggle(name, e.target.checked)} />
              <span className="truncate" title={name}>
                {name}
              </span>
              <Badge tone="amber" className="shrink-0">
                not defined
              </Badge>
            </label>
          </li>
        ))}
        {always.map((p) => (
          <li key={p.name} className="min-w-0">
            <label className="flex min-w-0 items-center gap-1.5 text-sm text-slate-700 dark:text-slate-300">
              <input type="checkbox" checked disabled />
              <span className="truncate" title={p.name}>
                {p.name}
              </span>
              <span className="shrink-0 text-xs text-slate-600 dark:text-slate-400">always applied</span>
            </label>
          </li>
        ))}
      </ul>
      {inherited && inherited.names.length > 0 && (
        <div className="mt-2 flex min-w-0 flex-wrap items-center gap-1 px-1 text-xs text-slate-600 dark:text-slate-400">
          <span>{inherited.label}</span>
          <GuardrailBadges names={inherited.names} label={inherited.label} />
        </div>
      )}
      {error && (
        <p id={errorId} className="mt-1 px-1 text-xs text-red-700 dark:text-red-400">
          {error}
        </p>
      )}
    </fieldset>
  );
}

/** Guardrail names as small badges (nothing for none). */
export function GuardrailBadges({ names, label = "Guardrails" }: { names: readonly string[]; label?: string }) {
  if (names.length === 0) return null;
  return (
    <ul aria-label={label} className="flex min-w-0 flex-wrap gap-1">
      {names.map((name) => (
        <li key={name} className="min-w-0 max-w-full">
          <Badge tone="indigo" className="max-w-full">
            <span className="truncate" title={name}>
              {name}
            </span>
          </Badge>
        </li>
      ))}
    </ul>
  );
}
