import { useQuery } from "@apollo/client/react";
import { useState } from "react";

import { PeriodPicker } from "../../../components/PeriodPicker";
import { Button } from "../../../components/ui/Button";
import { Dialog } from "../../../components/ui/Dialog";
import { SelectField, TextField } from "../../../components/ui/Field";
import { Pager } from "../../../components/ui/Pager";
import { EmptyState, ErrorState, LoadingState } from "../../../components/ui/States";
import type { AuditLogQuery as AuditLogData } from "../../../gql/graphql";
import { errorMessage } from "../../../lib/apollo";
import { useCursorPages } from "../../../lib/cursors";
import { formatDateTime } from "../../../lib/format";
import { usePeriod } from "../../../lib/period";
import { diffFields, show } from "../diff";
import { AuditLogQuery } from "../operations";

type Entry = AuditLogData["auditLog"]["edges"][number]["node"];

// `action` takes one action (key.create) or a family ending in a dot (key.). The families are
// the prefixes of the actions the gateway records (app/**: record(..., "<family>.<verb>", ...)).
const FAMILIES = [
  ["key.", "Keys"],
  ["user.", "Users"],
  ["session.", "Sign-ins"],
  ["organization.", "Organizations"],
  ["team.", "Teams"],
  ["org_membership.", "Organization members"],
  ["team_membership.", "Team members"],
  ["deployment.", "Deployments"],
  ["end_user.", "End users"],
  ["settings.", "Settings and guardrails"],
] as const;

export default function AuditPage() {
  const { period } = usePeriod();
  const [action, setAction] = useState("");
  const [actorId, setActorId] = useState("");
  const [targetType, setTargetType] = useState("");
  const [targetId, setTargetId] = useState("");
  const [open, setOpen] = useState<Entry | null>(null);
  const pages = useCursorPages();
  const { data, error, loading, refetch } = useQuery(AuditLogQuery, {
    variables: {
      first: 25,
      after: pages.after,
      action: action || null,
      actorId: actorId.trim() || null,
      targetType: targetType.trim() || null,
      targetId: targetId.trim() || null,
      start: period.startAt,
      end: period.endAt,
    },
  });
  const entries = data?.auditLog.edges.map((e) => e.node) ?? [];
  const changes = open ? diffFields(open.before, open.after) : [];

  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <h1 className="text-2xl font-semibold">Audit log</h1>
        <PeriodPicker />
      </div>
      <div className="flex flex-wrap items-end gap-3">
        <SelectField
          label="Action"
          className="w-48"
          value={action}
          onChange={(e) => {
            setAction(e.target.value);
            pages.reset();
          }}
        >
          <option value="">Any</option>
          {FAMILIES.map(([value, label]) => (
            <option key={value} value={value}>
              {label}
            </option>
          ))}
        </SelectField>
        <TextField label="Actor id" className="w-64" value={actorId} onChange={(e) => { setActorId(e.target.value); pages.reset(); }} />
        <TextField label="Target type" placeholder="key, user, team…" className="w-48" value={targetType} onChange={(e) => { setTargetType(e.target.value); pages.reset(); }} />
        <TextField label="Target id" className="w-64" value={targetId} onChange={(e) => { setTargetId(e.target.value); pages.reset(); }} />
      </div>
      {error && <ErrorState message={errorMessage(error)} onRetry={() => void refetch()} />}
      {loading && !data && <LoadingState label="Loading the audit log" />}
      {data && entries.length === 0 && <EmptyState title="Nothing recorded that matches" />}
      {entries.length > 0 && (
        <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white dark:border-slate-700 dark:bg-slate-900">
          <table className="w-full table-fixed text-sm" aria-label="Audit entries">
            <thead className="bg-slate-50 text-left text-xs text-slate-600 uppercase dark:bg-slate-800 dark:text-slate-300">
              <tr>
                <th scope="col" className="w-52 px-3 py-2 font-medium">Time</th>
                <th scope="col" className="px-3 py-2 font-medium">Actor</th>
                <th scope="col" className="px-3 py-2 font-medium">Action</th>
                <th scope="col" className="px-3 py-2 font-medium">Target</th>
                <th scope="col" className="w-24 px-3 py-2 font-medium"><span className="sr-only">Details</span></th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
              {entries.map((entry) => (
                <tr key={entry.id}>
                  <td className="px-3 py-2 whitespace-nowrap">{formatDateTime(entry.createdAt)}</td>
                  <td className="truncate px-3 py-2" title={`${entry.actorType} ${entry.actorId ?? ""}`}>
                    {entry.actorType} <span className="font-mono text-xs">{entry.actorId ?? ""}</span>
                  </td>
                  <td className="px-3 py-2">
                    <span className="block truncate font-mono text-xs" title={entry.action}>{entry.action}</span>
                    {entry.reason && (
                      <span className="block truncate text-xs text-slate-600 dark:text-slate-400" title={entry.reason}>
                        Reason: {entry.reason}
                      </span>
                    )}
                  </td>
                  <td className="truncate px-3 py-2" title={`${entry.targetType} ${entry.targetId ?? ""}`}>
                    {entry.targetType} <span className="font-mono text-xs">{entry.targetId ?? ""}</span>
                  </td>
                  <td className="px-3 py-2">
                    <Button variant="ghost" size="sm" onClick={() => setOpen(entry)} aria-label={`Changes of ${entry.action} at ${formatDateTime(entry.createdAt)}`}>
                      Changes
                    </Button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {data && (
        <Pager
          total={data.auditLog.totalCount}
          noun={["entry", "entries"]}
          page={pages.page}
          hasNext={data.auditLog.pageInfo.hasNextPage}
          onPrevious={pages.previous}
          onNext={() => pages.next(data.auditLog.pageInfo.endCursor)}
        />
      )}
      <Dialog drawer open={open !== null} onOpenChange={(o) => !o && setOpen(null)} title={open ? open.action : "Changes"}>
        {open && (
          <div className="space-y-3 text-sm">
            <p className="text-slate-700 dark:text-slate-300">
              {open.actorType} {open.actorId} · {formatDateTime(open.createdAt)} · request {open.requestId ?? "—"}
            </p>
            {open.reason && (
              <p className="break-words">
                <span className="font-medium">Reason:</span> {open.reason}
              </p>
            )}
            {changes.length === 0 ? (
              <EmptyState title="No field changed" />
            ) : (
              <table className="w-full table-fixed" aria-label="Changed fields">
                <thead className="text-left text-xs text-slate-600 uppercase dark:text-slate-300">
                  <tr>
                    <th scope="col" className="w-32 py-1 font-medium">Field</th>
                    <th scope="col" className="py-1 font-medium">Before</th>
                    <th scope="col" className="py-1 font-medium">After</th>
                  </tr>
                </thead>
                <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
                  {changes.map((c) => (
                    <tr key={c.field} className="align-top">
                      <td className="py-1 font-mono text-xs">{c.field}</td>
                      <td className="py-1 font-mono text-xs break-all text-red-800 dark:text-red-300">{show(c.before)}</td>
                      <td className="py-1 font-mono text-xs break-all text-emerald-800 dark:text-emerald-300">{show(c.after)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </div>
        )}
      </Dialog>
    </div>
  );
}
