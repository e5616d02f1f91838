import { Alert } from "../../../components/ui/States";
import type { TestModelDeploymentMutation } from "../../../gql/graphql";
import { formatCount } from "../../../lib/format";

type Result = TestModelDeploymentMutation["testModelDeployment"];

/** What one test request through the deployment gave: the answer or the failure, and the time. */
export function TestResult({ result }: { result: Result }) {
  if (result.errors.length > 0) {
    return <Alert tone="error">{result.errors.map((e) => e.message).join(" ")}</Alert>;
  }
  return (
    <div className="space-y-3 text-sm">
      {result.error ? (
        <Alert tone="error">
          <p className="font-medium">
            Failed: {result.error.code} (HTTP {result.error.statusCode})
          </p>
          <p className="mt-1 break-words">{result.error.message}</p>
        </Alert>
      ) : (
        <Alert tone="success">The deployment answered.</Alert>
      )}
      <dl className="grid grid-cols-[10rem_1fr] gap-x-3 gap-y-1">
        <dt className="text-slate-600 dark:text-slate-400">Latency</dt>
        <dd className="tabular-nums">{result.latencyMs !== null ? `${result.latencyMs < 10 ? result.latencyMs.toFixed(1) : formatCount(Math.round(result.latencyMs))} ms` : "—"}</dd>
        <dt className="text-slate-600 dark:text-slate-400">Tokens (in / out)</dt>
        <dd className="tabular-nums">
          {result.promptTokens ?? "—"} / {result.completionTokens ?? "—"}
        </dd>
        {result.answer !== null && (
          <>
            <dt className="text-slate-600 dark:text-slate-400">Answer</dt>
            <dd className="break-words whitespace-pre-wrap">{result.answer}</dd>
          </>
        )}
      </dl>
    </div>
  );
}
