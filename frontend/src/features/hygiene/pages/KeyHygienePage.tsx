import { useMutation, useQuery } from "@apollo/client/react";
import type { RowSelectionState } from "@tanstack/react-table";
import { useState } from "react";

import { Button } from "../../../components/ui/Button";
import { SelectField } from "../../../components/ui/Field";
import { Pager } from "../../../components/ui/Pager";
import { Alert, EmptyState, ErrorState, LoadingState } from "../../../components/ui/States";
import { cn } from "../../../components/ui/cn";
import { KeyIssue } from "../../../gql/graphql";
import { errorMessage } from "../../../lib/apollo";
import { BulkKeysDialog, type BulkAction, type BulkError } from "../components/BulkKeysDialog";
import { HygieneTable, ISSUE_LABELS } from "../components/HygieneTable";
import { BlockKeysMutation, HygieneOrganizationsQuery, KeyHygieneQuery, RevokeKeysMutation } from "../operations";

const ISSUES: KeyIssue[] = [KeyIssue.Idle, KeyIssue.NoExpiry, KeyIssue.AllModels, KeyIssue.OwnerBlocked, KeyIssue.BudgetBurn];
const IDLE_DAYS = [7, 30, 90];
const PAGE_SIZE = 50;

export default function KeyHygienePage() {
  const [issues, setIssues] = useState<KeyIssue[]>([]);
  const [idleDays, setIdleDays] = useState(30);
  const [orgId, setOrgId] = useState("");
  const [cursors, setCursors] = useState<Array<string | null>>([null]);
  const [selection, setSelection] = useState<RowSelectionState>({});
  const [bulk, setBulk] = useState<BulkAction | null>(null);
  const [done, setDone] = useState<string | undefined>();
  const after = cursors[cursors.length - 1] ?? null;

  const { data, previousData, error, loading, refetch } = useQuery(KeyHygieneQuery, {
    variables: { first: PAGE_SIZE, after, issues: issues.length > 0 ? issues : null, orgId: orgId || null, idleDays },
    fetchPolicy: "cache-and-network",
  });
  const orgs = useQuery(HygieneOrganizationsQuery).data?.organizations.edges.map((e) => e.node) ?? [];
  const [blockKeys] = useMutation(BlockKeysMutation);
  const [revokeKeys] = useMutation(RevokeKeysMutation);
  const shown = data ?? previousData;
  const rows = shown?.keyHygiene.edges.map((e) => e.node) ?? [];
  const selected = rows.filter((r) => selection[r.key.id]).map((r) => ({ id: r.key.id, label: r.key.alias ?? r.key.keyDisplay }));

  function restart(): void {
    setCursors([null]);
    setSelection({});
  }

  function toggle(issue: KeyIssue): void {
    setIssues((current) => (current.includes(issue) ? current.filter((i) => i !== issue) : [...current, issue]));
    restart();
  }

  async function apply(action: BulkAction, reason: string): Promise<BulkError[]> {
    const keyIds = selected.map((k) => k.id);
    try {
      const { data: result } = action === "block"
        ? await blockKeys({ variables: { keyIds, reason } }).then((r) => ({ data: r.data?.blockKeys }))
        : await revokeKeys({ variables: { keyIds, reason } }).then((r) => ({ data: r.data?.revokeKeys }));
      await refetch();
      const errors = result?.errors ?? [];
      const changed = result?.keys.length ?? 0;
      setDone(`${changed} ${changed === 1 ? "key" : "keys"} ${action === "block" ? "blocked" : "revoked"}.`);
      if (errors.length === 0) {
        setBulk(null);
        setSelection({});
      } else {
        const failed = new Set(errors.map((e) => e.keyId));
        setSelection(Object.fromEntries(keyIds.filter((id) => failed.has(id)).map((id) => [id, true])));
      }
      return errors;
    } catch (e) {
      return [{ message: errorMessage(e), code: "ERROR" }];
    }
  }

  return (
    <div className="space-y-4">
      <div>
        <h1 className="text-2xl font-semibold">Key hygiene</h1>
        <p className="mt-1 text-sm text-slate-600 dark:text-slate-400">
          Keys that are idle, never expire, may call every model, belong to a blocked owner, or spend fast enough to run out before their budget resets.
        </p>
      </div>
      <div className="flex flex-wrap items-end gap-3">
        <div role="group" aria-label="Issues" className="flex flex-wrap gap-2">
          {ISSUES.map((issue) => {
            const on = issues.includes(issue);
            return (
              <button
                key={issue}
                type="button"
                aria-pressed={on}
                onClick={() => toggle(issue)}
                className={cn(
                  "rounded-full border px-3 py-1 text-sm font-medium focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-500",
                  on
                    ? "border-indigo-600 bg-indigo-600 text-white"
                    : "border-slate-300 bg-white text-slate-800 hover:bg-slate-50 dark:border-slate-600 dark:bg-slate-800 dark:text-slate-100 dark:hover:bg-slate-700",
                )}
              >
                {ISSUE_LABELS[issue]}
              </button>
            );
          })}
        </div>
        {orgs.length > 1 && (
          <SelectField
            label="Organization"
            className="w-48"
            value={orgId}
            onChange={(e) => {
              setOrgId(e.target.value);
              restart();
            }}
          >
            <option value="">All organizations</option>
            {orgs.map((o) => (
              <option key={o.id} value={o.id}>
                {o.name}
              </option>
            ))}
          </SelectField>
        )}
        <SelectField
          label="Idle after"
          className="w-32"
          value={String(idleDays)}
          onChange={(e) => {
            setIdleDays(Number(e.target.value));
            restart();
          }}
        >
          {IDLE_DAYS.map((d) => (
            <option key={d} value={d}>
              {d} days
            </option>
          ))}
        </SelectField>
      </div>
      <div className="flex flex-wrap items-center gap-2" role="toolbar" aria-label="Bulk actions">
        <span className="text-sm text-slate-600 dark:text-slate-400">{selected.length} selected</span>
        <Button variant="secondary" size="sm" disabled={selected.length === 0} onClick={() => { setDone(undefined); setBulk("block"); }}>
          Block
        </Button>
        <Button variant="danger" size="sm" disabled={selected.length === 0} onClick={() => { setDone(undefined); setBulk("revoke"); }}>
          Revoke
        </Button>
      </div>
      {done && <Alert tone="success">{done}</Alert>}
      {error && <ErrorState message={errorMessage(error)} onRetry={() => void refetch()} />}
      {loading && !shown && <LoadingState label="Looking for keys that need attention" />}
      {shown && rows.length === 0 && (
        <EmptyState title={issues.length > 0 ? "No key has these issues" : "Every key looks healthy"}>
          {issues.length > 0 ? "Clear or change the issue filters." : "No key is idle, unbounded or burning its budget."}
        </EmptyState>
      )}
      {shown && rows.length > 0 && <HygieneTable rows={rows} selection={selection} onSelectionChange={setSelection} />}
      {shown && (
        <Pager
          total={shown.keyHygiene.totalCount}
          noun={["flagged key", "flagged keys"]}
          page={cursors.length}
          hasNext={shown.keyHygiene.pageInfo.hasNextPage}
          onPrevious={() => {
            setCursors((c) => c.slice(0, -1));
            setSelection({});
          }}
          onNext={() => {
            setCursors((c) => [...c, shown.keyHygiene.pageInfo.endCursor]);
            setSelection({});
          }}
        />
      )}
      <BulkKeysDialog
        key={bulk ?? "closed"}
        action={bulk}
        keys={selected}
        onCancel={() => setBulk(null)}
        onConfirm={apply}
      />
    </div>
  );
}
