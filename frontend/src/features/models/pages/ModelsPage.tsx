import { useMutation, useQuery } from "@apollo/client/react";
import { useState } from "react";

import { Button } from "../../../components/ui/Button";
import { Dialog } from "../../../components/ui/Dialog";
import { TextField } from "../../../components/ui/Field";
import { Pager } from "../../../components/ui/Pager";
import { Alert, EmptyState, ErrorState, LoadingState, Spinner } from "../../../components/ui/States";
import type { DeploymentFieldsFragment, TestModelDeploymentMutation as TestData } from "../../../gql/graphql";
import { errorMessage } from "../../../lib/apollo";
import { useCursorPages } from "../../../lib/cursors";
import { canEditGateway } from "../../../lib/permissions";
import { useViewer } from "../../auth/viewer";
import { DeploymentForm } from "../components/DeploymentForm";
import { DeploymentHealthBadge } from "../components/DeploymentHealthBadge";
import { RouterDeployments } from "../components/RouterDeployments";
import { TestResult } from "../components/TestResult";
import {
  deploymentPayloadErrors,
  EMPTY_DEPLOYMENT_FORM,
  formFromDeployment,
  paramsFromForm,
  type DeploymentFormErrors,
  type DeploymentFormValues,
} from "../deploymentForm";
import {
  CreateModelDeploymentMutation,
  DeleteModelDeploymentMutation,
  ModelDeploymentsQuery,
  RouterDeploymentsQuery,
  TestModelDeploymentMutation,
  UpdateModelDeploymentMutation,
} from "../operations";

type Deployment = DeploymentFieldsFragment;
type Editing = { mode: "create" } | { mode: "edit"; deployment: Deployment };
type Tested = { id: string; modelName: string };

function param(deployment: Deployment, name: string): string {
  const params = deployment.params as Record<string, unknown> | null;
  const value = params?.[name];
  return value === undefined || value === null ? "" : String(value);
}

/** The page's deployments in groups of one model name, in the order the page lists them. */
function groups(deployments: Deployment[]): Array<[string, Deployment[]]> {
  const byName = new Map<string, Deployment[]>();
  for (const d of deployments) byName.set(d.modelName, [...(byName.get(d.modelName) ?? []), d]);
  return [...byName.entries()];
}

export default function ModelsPage() {
  const viewer = useViewer();
  const editable = canEditGateway(viewer);
  const [modelName, setModelName] = useState("");
  const pages = useCursorPages();
  const [editing, setEditing] = useState<Editing | null>(null);
  const [deleting, setDeleting] = useState<Deployment | null>(null);
  const [testing, setTesting] = useState<Tested | null>(null);
  const [testResult, setTestResult] = useState<TestData["testModelDeployment"] | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);

  const { data, error, loading, refetch } = useQuery(ModelDeploymentsQuery, {
    variables: { first: 25, after: pages.after, modelName: modelName.trim() || null },
  });
  const refetchList = { refetchQueries: [ModelDeploymentsQuery, RouterDeploymentsQuery], awaitRefetchQueries: true };
  const [create] = useMutation(CreateModelDeploymentMutation, refetchList);
  const [update] = useMutation(UpdateModelDeploymentMutation, refetchList);
  const [remove, removing] = useMutation(DeleteModelDeploymentMutation, refetchList);
  const [test, testState] = useMutation(TestModelDeploymentMutation, refetchList);

  const deployments = data?.modelDeployments.edges.map((e) => e.node) ?? [];

  async function save(values: DeploymentFormValues): Promise<DeploymentFormErrors | null> {
    try {
      if (editing?.mode === "edit") {
        const result = await update({
          variables: {
            id: editing.deployment.id,
            input: { modelName: values.modelName.trim(), params: paramsFromForm(values, editing.deployment.params) },
          },
        });
        const payload = result.data?.updateModelDeployment;
        if (!payload || payload.errors.length > 0) return deploymentPayloadErrors(payload?.errors ?? []);
      } else {
        const result = await create({
          variables: { input: { modelName: values.modelName.trim(), params: paramsFromForm(values) } },
        });
        const payload = result.data?.createModelDeployment;
        if (!payload || payload.errors.length > 0) return deploymentPayloadErrors(payload?.errors ?? []);
      }
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
      const result = await remove({ variables: { id: deleting.id } });
      const errors = result.data?.deleteModelDeployment.errors ?? [];
      if (errors.length > 0) setActionError(errors.map((e) => e.message).join(" "));
    } catch (e) {
      setActionError(errorMessage(e));
    }
    setDeleting(null);
  }

  async function runTest(deployment: Tested): Promise<void> {
    setTesting(deployment);
    setTestResult(null);
    try {
      const result = await test({ variables: { id: deployment.id } });
      if (result.data) setTestResult(result.data.testModelDeployment);
    } catch (e) {
      setTestResult({ answer: null, latencyMs: null, promptTokens: null, completionTokens: null, error: null, errors: [{ field: null, message: errorMessage(e), code: "error" }] });
    }
  }

  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <h1 className="text-2xl font-semibold">Models</h1>
        {editable && <Button onClick={() => setEditing({ mode: "create" })}>Add deployment</Button>}
      </div>
      {!editable && (
        <Alert>Read only: platform administrators add, change and test deployments.</Alert>
      )}
      <h2 className="text-lg font-semibold">Added in the console</h2>
      <p className="text-sm text-slate-600 dark:text-slate-400">
        config.yaml's deployments are served too (below) but change only in the file.
      </p>
      <TextField
        label="Model name"
        hint="Exactly as callers send it."
        className="w-64"
        value={modelName}
        onChange={(e) => {
          setModelName(e.target.value);
          pages.reset();
        }}
      />
      {actionError && <Alert tone="error">{actionError}</Alert>}
      {error && <ErrorState message={errorMessage(error)} onRetry={() => void refetch()} />}
      {loading && !data && <LoadingState label="Loading deployments" />}
      {data && deployments.length === 0 && (
        <EmptyState title="No deployment here">{editable ? "Add one to serve a model." : null}</EmptyState>
      )}
      {groups(deployments).map(([name, rows]) => (
        <section
          key={name}
          aria-label={`Model ${name}`}
          // Scrolls sideways when narrow: focusable so the keyboard can scroll it.
          tabIndex={0}
          className="overflow-x-auto rounded-lg border border-slate-200 bg-white dark:border-slate-700 dark:bg-slate-900"
        >
          <h2 className="truncate border-b border-slate-200 px-3 py-2 text-sm font-semibold dark:border-slate-700" title={name}>
            {name}{" "}
            <span className="font-normal text-slate-600 dark:text-slate-400">
              · {rows.length} {rows.length === 1 ? "deployment" : "deployments"}
            </span>
          </h2>
          <table className="w-full min-w-[44rem] table-fixed text-sm" aria-label={`Deployments of ${name}`}>
            <thead className="bg-slate-50 text-left text-xs text-slate-600 uppercase dark:bg-slate-800 dark:text-slate-300">
              <tr>
                <th scope="col" className="px-3 py-2 font-medium">Provider model</th>
                <th scope="col" className="px-3 py-2 font-medium">API base</th>
                <th scope="col" className="w-28 px-3 py-2 font-medium">Limits</th>
                <th scope="col" className="w-48 px-3 py-2 font-medium">Health</th>
                {editable && (
                  <th scope="col" className="w-52 px-3 py-2 font-medium">
                    <span className="sr-only">Actions</span>
                  </th>
                )}
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
              {rows.map((d) => {
                const model = param(d, "model");
                return (
                  <tr key={d.id} className="align-top">
                    <td className="px-3 py-2">
                      <span className="block truncate font-mono text-xs" title={model}>{model}</span>
                      <span className="text-xs text-slate-600 dark:text-slate-400">{d.hasApiKey ? "API key stored" : "No API key"}</span>
                    </td>
                    <td className="px-3 py-2">
                      <span className="block truncate font-mono text-xs" title={param(d, "api_base")}>
                        {param(d, "api_base") || "provider default"}
                      </span>
                    </td>
                    <td className="px-3 py-2 text-xs tabular-nums">
                      <span className="block">rpm {param(d, "rpm") || "—"}</span>
                      <span className="block">tpm {param(d, "tpm") || "—"}</span>
                      <span className="block">weight {param(d, "weight") || "1"}</span>
                    </td>
                    <td className="px-3 py-2">
                      <DeploymentHealthBadge health={d.health} />
                    </td>
                    {editable && (
                      <td className="px-3 py-2">
                        <div className="flex flex-wrap gap-1">
                          <Button variant="secondary" size="sm" onClick={() => void runTest(d)} aria-label={`Test ${model} of ${name}`}>
                            Test
                          </Button>
                          <Button variant="ghost" size="sm" onClick={() => setEditing({ mode: "edit", deployment: d })} aria-label={`Edit ${model} of ${name}`}>
                            Edit
                          </Button>
                          <Button variant="ghost" size="sm" onClick={() => setDeleting(d)} aria-label={`Delete ${model} of ${name}`}>
                            Delete
                          </Button>
                        </div>
                      </td>
                    )}
                  </tr>
                );
              })}
            </tbody>
          </table>
        </section>
      ))}
      {data && (
        <Pager
          total={data.modelDeployments.totalCount}
          noun={["deployment", "deployments"]}
          page={pages.page}
          hasNext={data.modelDeployments.pageInfo.hasNextPage}
          onPrevious={pages.previous}
          onNext={() => pages.next(data.modelDeployments.pageInfo.endCursor)}
        />
      )}
      <RouterDeployments onTest={editable ? (d) => void runTest(d) : undefined} />
      <Dialog
        wide
        open={editing !== null}
        onOpenChange={(o) => !o && setEditing(null)}
        title={editing?.mode === "edit" ? "Edit deployment" : "Add a deployment"}
      >
        {editing && (
          <DeploymentForm
            mode={editing.mode}
            initial={editing.mode === "edit" ? formFromDeployment(editing.deployment) : EMPTY_DEPLOYMENT_FORM}
            hasApiKey={editing.mode === "edit" && editing.deployment.hasApiKey}
            onSubmit={save}
            onCancel={() => setEditing(null)}
          />
        )}
      </Dialog>
      <Dialog
        open={deleting !== null}
        onOpenChange={(o) => !o && setDeleting(null)}
        title="Delete the deployment?"
        description="Calls stop going to it within a second. This cannot be undone."
      >
        {deleting && (
          <div className="space-y-4">
            <p className="text-sm break-all">
              <strong>{deleting.modelName}</strong> <code className="font-mono">{param(deleting, "model")}</code>
            </p>
            <div className="flex justify-end gap-2">
              <Button variant="secondary" onClick={() => setDeleting(null)}>
                Cancel
              </Button>
              <Button variant="danger" onClick={() => void confirmDelete()} disabled={removing.loading}>
                {removing.loading ? "Deleting…" : "Delete deployment"}
              </Button>
            </div>
          </div>
        )}
      </Dialog>
      <Dialog
        open={testing !== null}
        onOpenChange={(o) => !o && setTesting(null)}
        title={testing ? `Test of ${testing.modelName}` : "Test"}
      >
        {testState.loading && !testResult && <Spinner label="Sending a test request" />}
        {testResult && <TestResult result={testResult} />}
      </Dialog>
    </div>
  );
}
