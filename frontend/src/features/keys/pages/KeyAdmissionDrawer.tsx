import { useQuery } from "@apollo/client/react";
import { useId, useState, type FormEvent } from "react";

import { Button } from "../../../components/ui/Button";
import { Dialog } from "../../../components/ui/Dialog";
import { TextField } from "../../../components/ui/Field";
import { ErrorState, LoadingState } from "../../../components/ui/States";
import type { KeyFieldsFragment } from "../../../gql/graphql";
import { errorMessage } from "../../../lib/apollo";
import { formatDateTime } from "../../../lib/format";
import { admissionRows } from "../admission";
import { AdmissionLevelsTable, DryRunResult } from "../components/AdmissionView";
import { KeyAdmissionQuery } from "../operations";

interface Probe {
  model: string | null;
  estimatedTokens: number;
  maxOutputTokens: number | null;
}

const WHOLE = /^\d+$/;

/** "Why would this call be refused?": the limits in force over one key, and a dry run of admission. */
export function KeyAdmissionDrawer({ keyRow, onClose }: { keyRow: KeyFieldsFragment | null; onClose: () => void }) {
  return (
    <Dialog
      open={keyRow !== null}
      onOpenChange={(o) => !o && onClose()}
      title="Why would a call be refused?"
      {...(keyRow ? { description: `${keyRow.alias ?? "Key"} ${keyRow.keyDisplay}` } : {})}
      drawer
      wide
    >
      {keyRow && <KeyAdmission key={keyRow.id} keyRow={keyRow} />}
    </Dialog>
  );
}

export function KeyAdmission({ keyRow }: { keyRow: KeyFieldsFragment }) {
  const [probe, setProbe] = useState<Probe>({ model: null, estimatedTokens: 0, maxOutputTokens: null });
  const [model, setModel] = useState(keyRow.models[0] ?? "");
  const [tokens, setTokens] = useState("1000");
  const [maxOutput, setMaxOutput] = useState("");
  const [errors, setErrors] = useState<{ model?: string; tokens?: string; maxOutput?: string }>({});
  const listId = useId();
  const { data, previousData, error, loading, refetch } = useQuery(KeyAdmissionQuery, {
    variables: { keyId: keyRow.id, ...probe },
    fetchPolicy: "network-only",
  });
  const shown = data ?? previousData;

  function submit(event: FormEvent): void {
    event.preventDefault();
    const next: typeof errors = {};
    if (!model.trim()) next.model = "Name a model.";
    if (!WHOLE.test(tokens.trim())) next.tokens = "A whole number, 0 or more.";
    if (maxOutput.trim() && !WHOLE.test(maxOutput.trim())) next.maxOutput = "A whole number, or empty for the model's default.";
    setErrors(next);
    if (Object.keys(next).length > 0) return;
    const wanted: Probe = {
      model: model.trim(),
      estimatedTokens: Number(tokens.trim()),
      maxOutputTokens: maxOutput.trim() ? Number(maxOutput.trim()) : null,
    };
    if (JSON.stringify(wanted) === JSON.stringify(probe)) void refetch();
    else setProbe(wanted);
  }

  const admission = shown?.keyAdmission;
  return (
    <div className="space-y-5">
      <section aria-labelledby={`${listId}-levels`} className="space-y-2">
        <h3 id={`${listId}-levels`} className="text-sm font-semibold">Limits in force</h3>
        {error && <ErrorState message={errorMessage(error)} onRetry={() => void refetch()} />}
        {!admission && loading && <LoadingState label="Reading the limits" />}
        {admission && (
          <>
            <AdmissionLevelsTable rows={admissionRows(admission)} />
            <p className="text-xs text-slate-600 dark:text-slate-400">
              As of {formatDateTime(admission.checkedAt)}; times are in your time zone. Budget use includes what calls in flight have reserved.
            </p>
          </>
        )}
      </section>
      <section aria-labelledby={`${listId}-dry`} className="space-y-3">
        <h3 id={`${listId}-dry`} className="text-sm font-semibold">Dry run</h3>
        <p className="text-sm text-slate-600 dark:text-slate-400">
          Walks admission for a call without sending it to a provider and names the first rule that would refuse it.
        </p>
        <form onSubmit={submit} noValidate className="grid grid-cols-1 gap-3 sm:grid-cols-3">
          <TextField
            label="Model"
            list={`${listId}-models`}
            value={model}
            onChange={(e) => setModel(e.target.value)}
            error={errors.model}
            hint={keyRow.models.length > 0 ? "One of the key's models, or any name" : "This key may call every model"}
          />
          <datalist id={`${listId}-models`}>
            {keyRow.models.map((m) => (
              <option key={m} value={m} />
            ))}
          </datalist>
          <TextField
            label="Estimated input tokens"
            inputMode="numeric"
            value={tokens}
            onChange={(e) => setTokens(e.target.value)}
            error={errors.tokens}
          />
          <TextField
            label="Max output tokens"
            inputMode="numeric"
            value={maxOutput}
            onChange={(e) => setMaxOutput(e.target.value)}
            error={errors.maxOutput}
            hint="Empty: the default"
          />
          <div className="sm:col-span-3">
            <Button type="submit" disabled={loading && probe.model !== null}>
              {loading && probe.model !== null ? "Checking…" : "Check this call"}
            </Button>
          </div>
        </form>
        {probe.model !== null && data?.keyAdmission.dryRun && <DryRunResult dryRun={data.keyAdmission.dryRun} />}
      </section>
    </div>
  );
}
