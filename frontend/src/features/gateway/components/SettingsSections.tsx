import { useState, type FormEvent, type ReactNode } from "react";

import { Button } from "../../../components/ui/Button";
import { SelectField, TextField } from "../../../components/ui/Field";
import { Alert, Badge, Card } from "../../../components/ui/States";
import {
  RoutingStrategy,
  type HealthCheckFieldsFragment,
  type HealthCheckSettingsInput,
  type RouterFieldsFragment,
  type RouterSettingsInput,
} from "../../../gql/graphql";
import { changedNumbers, checkNumbers, numberText, type FormErrors, type NumberSpec } from "../settingsForm";

/** Resolves to the API's refusals by field (or `form`), or null once saved. */
type Submit<I> = (input: I) => Promise<FormErrors | null>;

const ROUTER_NUMBERS: NumberSpec[] = [
  { name: "numRetries", label: "Retries", integer: true, min: 0, max: 10 },
  { name: "timeout", label: "Timeout (s)", min: 0, minExclusive: true },
  { name: "streamTimeout", label: "Stream timeout (s)", min: 0, minExclusive: true, optional: true, hint: "Empty: the timeout." },
  { name: "retryAfter", label: "Wait before a retry (s)", min: 0 },
  { name: "allowedFails", label: "Failures before cooldown", integer: true, min: 1 },
  { name: "cooldownTime", label: "Cooldown (s)", min: 0 },
];
const HEALTH_NUMBERS: NumberSpec[] = [
  { name: "interval", label: "Interval (s)", min: 5, max: 86_400 },
  { name: "timeout", label: "Probe timeout (s)", min: 0, minExclusive: true, max: 600 },
];
const STRATEGIES: Array<[RoutingStrategy, string]> = [
  [RoutingStrategy.SimpleShuffle, "Simple shuffle (weighted)"],
  [RoutingStrategy.RoundRobin, "Round robin"],
  [RoutingStrategy.LeastBusy, "Least busy"],
  [RoutingStrategy.LatencyBased, "Lowest latency"],
  [RoutingStrategy.CostBased, "Lowest cost"],
  [RoutingStrategy.UsageBased, "Lowest usage"],
];

function numbers(specs: NumberSpec[], current: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(specs.map((s) => [s.name, numberText(current[s.name] as number | null)]));
}

/** One settings form: the number fields of `specs`, other controls, save, and its messages. */
export function SectionForm({
  title,
  note,
  editable,
  specs,
  values,
  setValues,
  errors,
  saved,
  busy,
  onSubmit,
  children,
}: {
  title: string;
  note: ReactNode;
  editable: boolean;
  specs: NumberSpec[];
  values: Record<string, string>;
  setValues: (update: (v: Record<string, string>) => Record<string, string>) => void;
  errors: FormErrors;
  saved: boolean;
  busy: boolean;
  onSubmit: () => void;
  children?: ReactNode;
}) {
  function submit(event: FormEvent): void {
    event.preventDefault();
    onSubmit();
  }
  return (
    <Card title={title} actions={note}>
      <form noValidate onSubmit={submit} className="space-y-4">
        {errors["form"] && <Alert tone="error">{errors["form"]}</Alert>}
        {saved && <Alert tone="success">Saved. Every instance applies it within a second.</Alert>}
        <fieldset disabled={!editable} className="space-y-4">
          {children}
          <div className="grid grid-cols-1 gap-3 sm:grid-cols-2 xl:grid-cols-3">
            {specs.map((spec) => (
              <TextField
                key={spec.name}
                label={spec.label}
                hint={spec.hint}
                inputMode={spec.integer ? "numeric" : "decimal"}
                value={values[spec.name] ?? ""}
                error={errors[spec.name]}
                onChange={(e) => {
                  const value = e.target.value;
                  setValues((v) => ({ ...v, [spec.name]: value }));
                }}
              />
            ))}
          </div>
        </fieldset>
        {editable && (
          <div className="flex justify-end">
            <Button type="submit" disabled={busy}>
              {busy ? "Saving…" : `Save ${title.toLowerCase()}`}
            </Button>
          </div>
        )}
      </form>
    </Card>
  );
}

export function useSection(specs: NumberSpec[], current: Record<string, unknown>) {
  const [values, setValues] = useState(() => numbers(specs, current));
  const [errors, setErrors] = useState<FormErrors>({});
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);
  async function run(extraErrors: FormErrors, send: () => Promise<FormErrors | null>): Promise<void> {
    const found = { ...checkNumbers(specs, values), ...extraErrors };
    setErrors(found);
    setSaved(false);
    if (Object.keys(found).length > 0) return;
    setBusy(true);
    try {
      const refused = await send();
      setErrors(refused ?? {});
      setSaved(refused === null);
    } finally {
      setBusy(false);
    }
  }
  return { values, setValues, errors, saved, busy, run };
}

export function Overridden({ on }: { on: boolean }) {
  return on ? <Badge tone="amber">Changed here</Badge> : <Badge>From config.yaml</Badge>;
}

export function RouterSection({ current, editable, onSubmit }: { current: RouterFieldsFragment; editable: boolean; onSubmit: Submit<RouterSettingsInput> }) {
  const section = useSection(ROUTER_NUMBERS, current);
  const [strategy, setStrategy] = useState(current.routingStrategy);
  return (
    <SectionForm
      title="Router"
      note={<Overridden on={current.overridden.length > 0} />}
      editable={editable}
      specs={ROUTER_NUMBERS}
      {...section}
      onSubmit={() =>
        void section.run({}, () => {
          const input: RouterSettingsInput = changedNumbers(ROUTER_NUMBERS, section.values, current);
          if (strategy !== current.routingStrategy) input.routingStrategy = strategy;
          return onSubmit(input);
        })
      }
    >
      <SelectField label="Routing strategy" className="max-w-sm" value={strategy} onChange={(e) => setStrategy(e.target.value as RoutingStrategy)}>
        {STRATEGIES.map(([value, label]) => (
          <option key={value} value={value}>
            {label}
          </option>
        ))}
      </SelectField>
    </SectionForm>
  );
}

export function HealthSection({ current, editable, onSubmit }: { current: HealthCheckFieldsFragment; editable: boolean; onSubmit: Submit<HealthCheckSettingsInput> }) {
  const section = useSection(HEALTH_NUMBERS, current);
  const [enabled, setEnabled] = useState(current.enabled);
  return (
    <SectionForm
      title="Health checks"
      note={<Overridden on={current.overridden} />}
      editable={editable}
      specs={HEALTH_NUMBERS}
      {...section}
      onSubmit={() =>
        void section.run({}, () => {
          const input: HealthCheckSettingsInput = changedNumbers(HEALTH_NUMBERS, section.values, current);
          if (enabled !== current.enabled) input.enabled = enabled;
          return onSubmit(input);
        })
      }
    >
      <label className="flex items-center gap-2 text-sm">
        <input type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} />
        Probe every deployment in the background
      </label>
    </SectionForm>
  );
}
