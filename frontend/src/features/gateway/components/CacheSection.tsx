import { useState } from "react";

import { Button } from "../../../components/ui/Button";
import { Dialog } from "../../../components/ui/Dialog";
import { SelectField, TextField } from "../../../components/ui/Field";
import { Alert } from "../../../components/ui/States";
import { CacheMode, CacheScope, CacheType, type CacheFieldsFragment, type CacheSettingsInput } from "../../../gql/graphql";
import {
  CACHE_MODE_LABELS,
  CACHE_NUMBERS,
  CACHE_SCOPE_LABELS,
  cacheChoices,
  cacheInput,
  checkCacheChoices,
  type CacheChoices,
} from "../cacheForm";
import type { FormErrors } from "../settingsForm";
import { Overridden, SectionForm, useSection } from "./SettingsSections";

const CALL_TYPES = [
  ["chat_completions", "Chat completions"],
  ["completions", "Completions"],
  ["embeddings", "Embeddings"],
  ["messages", "Anthropic messages"],
  ["responses", "Responses API"],
] as const;

/** What flushCache answered: entries deleted (-1: not counted), or the refusal. */
export type FlushOutcome = { deleted: number } | { error: string };

function flushMessage(outcome: FlushOutcome): string {
  if ("error" in outcome) return outcome.error;
  if (outcome.deleted < 0) return "The cache was emptied (this backend does not count entries).";
  return `The cache was emptied: ${outcome.deleted} ${outcome.deleted === 1 ? "entry" : "entries"} deleted.`;
}

/** The confirm dialog of "Flush cache"; it then shows what the API answered. */
function FlushCache({ onFlush }: { onFlush: () => Promise<FlushOutcome> }) {
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<FlushOutcome | null>(null);
  async function flush(): Promise<void> {
    setBusy(true);
    try {
      setOutcome(await onFlush());
    } finally {
      setBusy(false);
    }
  }
  return (
    <>
      <Button variant="secondary" onClick={() => { setOutcome(null); setOpen(true); }}>
        Flush cache
      </Button>
      <Dialog open={open} onOpenChange={setOpen} title="Flush the response cache?" description="Every cached answer of this gateway's namespace is deleted; calls go to the providers until the cache fills again.">
        <div className="space-y-4">
          {outcome && <Alert tone={"error" in outcome ? "error" : "success"}>{flushMessage(outcome)}</Alert>}
          <div className="flex justify-end gap-2">
            <Button variant="secondary" onClick={() => setOpen(false)}>
              {outcome ? "Done" : "Cancel"}
            </Button>
            {!outcome && (
              <Button variant="danger" onClick={() => void flush()} disabled={busy}>
                {busy ? "Flushing…" : "Flush cache"}
              </Button>
            )}
          </div>
        </div>
      </Dialog>
    </>
  );
}

interface Props {
  current: CacheFieldsFragment;
  editable: boolean;
  onSubmit: (input: CacheSettingsInput) => Promise<FormErrors | null>;
  /** Given to platform admins only. */
  onFlush?: (() => Promise<FlushOutcome>) | undefined;
}

export function CacheSection({ current, editable, onSubmit, onFlush }: Props) {
  const section = useSection(CACHE_NUMBERS, current);
  const [choices, setChoices] = useState<CacheChoices>(() => cacheChoices(current));
  const set = <K extends keyof CacheChoices>(key: K, value: CacheChoices[K]) => setChoices((c) => ({ ...c, [key]: value }));
  const text = (key: "namespace" | "s3BucketName" | "s3RegionName" | "s3EndpointUrl", label: string, hint?: string, placeholder?: string) => (
    <TextField label={label} hint={hint} placeholder={placeholder} value={choices[key]} error={section.errors[key]} onChange={(e) => set(key, e.target.value)} />
  );
  return (
    <SectionForm
      title="Response cache"
      note={
        <div className="flex flex-wrap items-center gap-2">
          <Overridden on={current.overridden} />
          {onFlush && <FlushCache onFlush={onFlush} />}
        </div>
      }
      editable={editable}
      specs={CACHE_NUMBERS}
      {...section}
      onSubmit={() => void section.run(checkCacheChoices(choices), () => onSubmit(cacheInput(section.values, choices, current)))}
    >
      <div className="flex flex-wrap gap-x-6 gap-y-2">
        <label className="flex items-center gap-2 text-sm">
          <input type="checkbox" checked={choices.enabled ?? false} onChange={(e) => set("enabled", e.target.checked)} />
          Cache responses
        </label>
        <label className="flex items-center gap-2 text-sm">
          <input type="checkbox" checked={choices.chargeHits ?? false} onChange={(e) => set("chargeHits", e.target.checked)} />
          Answers from the cache count against budgets
        </label>
      </div>
      <div className="grid grid-cols-1 gap-3 sm:grid-cols-2 xl:grid-cols-3">
        <SelectField label="Where entries live" value={choices.type ?? CacheType.Local} onChange={(e) => set("type", e.target.value as CacheType)}>
          <option value={CacheType.Local}>This instance's memory</option>
          <option value={CacheType.Redis}>Redis (shared)</option>
          <option value={CacheType.S3}>S3-compatible bucket (shared)</option>
        </SelectField>
        <SelectField label="Which calls" value={choices.mode ?? CacheMode.DefaultOn} onChange={(e) => set("mode", e.target.value as CacheMode)}>
          {Object.entries(CACHE_MODE_LABELS).map(([value, label]) => (
            <option key={value} value={value}>{label}</option>
          ))}
        </SelectField>
        <SelectField label="Shared" value={choices.scope ?? CacheScope.Org} onChange={(e) => set("scope", e.target.value as CacheScope)}>
          {Object.entries(CACHE_SCOPE_LABELS).map(([value, label]) => (
            <option key={value} value={value}>{label}</option>
          ))}
        </SelectField>
        {text("namespace", "Namespace")}
      </div>
      {choices.type === CacheType.S3 && (
        <div className="grid grid-cols-1 gap-3 sm:grid-cols-2 xl:grid-cols-3">
          {text("s3BucketName", "S3 bucket")}
          {text("s3RegionName", "S3 region", undefined, "eu-west-1")}
          {text("s3EndpointUrl", "S3 endpoint URL", current.s3HasCredentials ? "Credentials come from config.yaml." : "No credentials in config.yaml: the environment's are used.", "https://s3.example.com")}
        </div>
      )}
      <fieldset>
        <legend className="text-sm font-medium">Calls cached</legend>
        <div className="mt-1 flex flex-wrap gap-4">
          {CALL_TYPES.map(([value, label]) => (
            <label key={value} className="flex items-center gap-2 text-sm">
              <input
                type="checkbox"
                checked={choices.callTypes.includes(value)}
                onChange={(e) => set("callTypes", e.target.checked ? [...choices.callTypes, value] : choices.callTypes.filter((v) => v !== value))}
              />
              {label}
            </label>
          ))}
        </div>
      </fieldset>
    </SectionForm>
  );
}
