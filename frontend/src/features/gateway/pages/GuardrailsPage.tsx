import { useMutation, useQuery } from "@apollo/client/react";
import { useState } from "react";

import { Button } from "../../../components/ui/Button";
import { Dialog } from "../../../components/ui/Dialog";
import { Alert, Badge, EmptyState, ErrorState, LoadingState } from "../../../components/ui/States";
import { SettingSource, type GuardrailFieldsFragment } from "../../../gql/graphql";
import { errorMessage } from "../../../lib/apollo";
import { canEditGateway } from "../../../lib/permissions";
import { useViewer } from "../../auth/viewer";
import { GuardrailForm } from "../components/GuardrailForm";
import {
  EMPTY_GUARDRAIL_FORM,
  formFromGuardrail,
  guardrailInput,
  GUARDRAIL_KIND_LABELS,
  GUARDRAIL_MODE_LABELS,
  guardrailPayloadErrors,
  type GuardrailFormErrors,
  type GuardrailFormValues,
} from "../guardrailForm";
import { guardrailSummary } from "../guardrailSummary";
import { DeleteGuardrailPolicyMutation, GuardrailsQuery, SetGuardrailPolicyMutation } from "../operations";

type Policy = GuardrailFieldsFragment;
type Editing = { mode: "create" } | { mode: "edit"; policy: Policy };

export default function GuardrailsPage() {
  const editable = canEditGateway(useViewer());
  const [editing, setEditing] = useState<Editing | null>(null);
  const [deleting, setDeleting] = useState<Policy | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  const { data, error, loading, refetch } = useQuery(GuardrailsQuery);
  const refetchList = { refetchQueries: [GuardrailsQuery], awaitRefetchQueries: true };
  const [setPolicy] = useMutation(SetGuardrailPolicyMutation, refetchList);
  const [remove, removing] = useMutation(DeleteGuardrailPolicyMutation, refetchList);
  const policies = data?.gatewaySettings.guardrails ?? [];

  async function save(values: GuardrailFormValues): Promise<GuardrailFormErrors | null> {
    try {
      const result = await setPolicy({ variables: { input: guardrailInput(values) } });
      const payload = result.data?.setGuardrailPolicy;
      if (!payload || payload.errors.length > 0) return guardrailPayloadErrors(payload?.errors ?? []);
    } catch (e) {
      return { form: errorMessage(e) };
    }
    setEditing(null);
    return null;
  }

  async function confirmDelete(): Promise<void> {
    if (!deleting) return;
    setActionError(null);
    try {
      const result = await remove({ variables: { name: deleting.name } });
      const errors = result.data?.deleteGuardrailPolicy.errors ?? [];
      if (errors.length > 0) setActionError(errors.map((e) => e.message).join(" "));
    } catch (e) {
      setActionError(errorMessage(e));
    }
    setDeleting(null);
  }

  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <h1 className="text-2xl font-semibold">Guardrails</h1>
        {editable && <Button onClick={() => setEditing({ mode: "create" })}>Add policy</Button>}
      </div>
      {!editable && <Alert>Read only: platform administrators add and change guardrail policies.</Alert>}
      {actionError && <Alert tone="error">{actionError}</Alert>}
      {error && <ErrorState message={errorMessage(error)} onRetry={() => void refetch()} />}
      {loading && !data && <LoadingState label="Loading guardrails" />}
      {data && policies.length === 0 && (
        <EmptyState title="No guardrail policy">Policies mask or block PII and catch prompt injection.</EmptyState>
      )}
      {policies.length > 0 && (
        <div tabIndex={0} className="relative overflow-x-auto rounded-lg border border-slate-200 bg-white dark:border-slate-700 dark:bg-slate-900">
          <table className="w-full min-w-[56rem] table-fixed text-sm" aria-label="Guardrail policies">
            <thead className="bg-slate-50 text-left text-xs text-slate-600 uppercase dark:bg-slate-800 dark:text-slate-300">
              <tr>
                <th scope="col" className="w-48 px-3 py-2 font-medium">Name</th>
                <th scope="col" className="w-40 px-3 py-2 font-medium">Type and mode</th>
                <th scope="col" className="w-24 px-3 py-2 font-medium">Default</th>
                <th scope="col" className="px-3 py-2 font-medium">Settings</th>
                <th scope="col" className="w-28 px-3 py-2 font-medium">Source</th>
                {editable && (
                  <th scope="col" className="w-36 px-3 py-2 font-medium">
                    <span className="sr-only">Actions</span>
                  </th>
                )}
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
              {policies.map((p) => (
                <tr key={p.name} className="align-top">
                  <td className="truncate px-3 py-2 font-medium" title={p.name}>{p.name}</td>
                  <td className="px-3 py-2">
                    {GUARDRAIL_KIND_LABELS[p.guardrail]}
                    <span className="block text-xs text-slate-600 dark:text-slate-400">{GUARDRAIL_MODE_LABELS[p.mode]}</span>
                  </td>
                  <td className="px-3 py-2">{p.defaultOn ? <Badge tone="green">On</Badge> : <Badge>Opt-in</Badge>}</td>
                  <td className="px-3 py-2 text-xs break-words">{guardrailSummary(p)}</td>
                  <td className="px-3 py-2">{p.source === SettingSource.Config ? "config.yaml" : "console"}</td>
                  {editable && (
                    <td className="px-3 py-2">
                      {p.source === SettingSource.Database ? (
                        <div className="flex gap-1">
                          <Button variant="ghost" size="sm" onClick={() => setEditing({ mode: "edit", policy: p })} aria-label={`Edit ${p.name}`}>
                            Edit
                          </Button>
                          <Button variant="ghost" size="sm" onClick={() => setDeleting(p)} aria-label={`Delete ${p.name}`}>
                            Delete
                          </Button>
                        </div>
                      ) : (
                        <span className="text-xs text-slate-600 dark:text-slate-400">Change in the file</span>
                      )}
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Dialog
        wide
        open={editing !== null}
        onOpenChange={(o) => !o && setEditing(null)}
        title={editing?.mode === "edit" ? "Edit guardrail policy" : "Add a guardrail policy"}
      >
        {editing && (
          <GuardrailForm
            mode={editing.mode}
            initial={editing.mode === "edit" ? formFromGuardrail(editing.policy) : EMPTY_GUARDRAIL_FORM}
            hasApiKey={editing.mode === "edit" && editing.policy.hasApiKey}
            onSubmit={save}
            onCancel={() => setEditing(null)}
          />
        )}
      </Dialog>
      <Dialog
        open={deleting !== null}
        onOpenChange={(o) => !o && setDeleting(null)}
        title="Delete the guardrail policy?"
        description="Requests stop going through it within a second."
      >
        {deleting && (
          <div className="space-y-4">
            <p className="text-sm break-all">
              <strong>{deleting.name}</strong>
            </p>
            <div className="flex justify-end gap-2">
              <Button variant="secondary" onClick={() => setDeleting(null)}>
                Cancel
              </Button>
              <Button variant="danger" onClick={() => void confirmDelete()} disabled={removing.loading}>
                {removing.loading ? "Deleting…" : "Delete policy"}
              </Button>
            </div>
          </div>
        )}
      </Dialog>
    </div>
  );
}
