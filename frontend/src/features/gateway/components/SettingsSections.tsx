import { useState, type FormEvent, type ReactNode } from "react";

import { Button } from "../../../components/ui/Button";
import { SelectField, TextField } from "../../../components/ui/Field";
import { Alert, Badge, Card } from "../../../components/ui/States";
import {
  CacheType,
  RoutingStrategy,
  type CacheFieldsFragment,
  type CacheSettingsInput,
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
const CACHE_NUMBERS: NumberSpec[] = [
  { name: "ttl", label: "Time to live (s)", integer: true, min: 1, max: 2_592_000 },
  { name: "maxEntryBytes", label: "Largest entry (bytes)", integer: true, min: 1024, max: 67_108_864 },
];
const CALL_TYPES = [
  ["chat_completions", "Chat completions"],
  ["completions", "Completions"],
  ["embeddings", "Embeddings"],
  ["messages", "Anthropic messages"],
  ["responses", "Responses API"],
] as const;
const STRATEGIES: Array<[RoutingStrategy, string]> = [
  [RoutingStrategy.SimpleShuffle, "Simple shuffle (weighted)"],
  [RoutingStrategy.RoundRobin, "Round robin"],
  [RoutingStrategy.LeastBusy, "Least busy"],
  [RoutingStrategy.LatencyBased, "Lowest latency"],
  [RoutingStrategy.CostBased, "Lowest cost"],
  [RoutingStrategy.UsageBased, "Lowest usage"],
];
const NAMESPACE = /^[A-Za-z0-9_.:-]{1,64}$/;

function numbers(specs: NumberSpec[], current: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(specs.map((s) => [s.name, numberText(current[s.name] as number | null)]));
}

/** One settings form: the number fields of `specs`, other controls, save, and its messages. */
function SectionForm({
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

function useSection(specs: NumberSpec[], current: Record<string, unknown>) {
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

function Overridden({ on }: { on: boolean }) {
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

export function CacheSection({ current, editable, onSubmit }: { current: CacheFieldsFragment; editable: boolean; onSubmit: Submit<CacheSettingsInput> }) {
  const section = useSection(CACHE_NUMBERS, current);
  const [enabled, setEnabled] = useState(current.enabled);
  const [type, setType] = useState(current.type);
  const [namespace, setNamespace] = useState(current.namespace ?? "");
  const [callTypes, setCallTypes] = useState<string[]>(current.callTypes);
  const extra: FormErrors = {};
  if (namespace.trim() && !NAMESPACE.test(namespace.trim())) extra["namespace"] = "Up to 64 letters, digits and _ . : -";
  return (
    <SectionForm
      title="Response cache"
      note={<Overridden on={current.overridden} />}
      editable={editable}
      specs={CACHE_NUMBERS}
      {...section}
      onSubmit={() =>
        void section.run(extra, () => {
          const input: CacheSettingsInput = changedNumbers(CACHE_NUMBERS, section.values, current);
          if (enabled !== current.enabled) input.enabled = enabled;
          if (type !== current.type) input.type = type;
          if (namespace.trim() !== (current.namespace ?? "")) input.namespace = namespace.trim() || null;
          if ([...callTypes].sort().join() !== [...current.callTypes].sort().join()) input.callTypes = callTypes;
          return onSubmit(input);
        })
      }
    >
      <label className="flex items-center gap-2 text-sm">
        <input type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} />
        Cache responses
      </label>
      <div className="grid grid-cols-1 gap-3 sm:grid-cols-2">
        <SelectField label="Where entries live" value={type} onChange={(e) => setType(e.target.value as CacheType)}>
          <option value={CacheType.Local}>This instance's memory</option>
          <option value={CacheType.Redis}>Redis (shared)</option>
          <option value={CacheType.S3}>S3-compatible bucket (shared)</option>
        </SelectField>
        <TextField label="Namespace" value={namespace} error={section.errors["namespace"]} onChange={(e) => setNamespace(e.target.value)} />
      </div>
      <fieldset>
        <legend className="text-sm font-medium">Calls cached</legend>
        <div className="mt-1 flex flex-wrap gap-4">
          {CALL_TYPES.map(([value, label]) => (
            <label key={value} className="flex items-center gap-2 text-sm">
              <input
                type="checkbox"
                checked={callTypes.includes(value)}
                onChange={(e) => setCallTypes((c) => (e.target.checked ? [...c, value] : c.filter((v) => v !== value)))}
              />
              {label}
            </label>
          ))}
        </div>
      </fieldset>
    </SectionForm>
  );
}
