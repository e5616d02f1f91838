import type { ReactNode } from "react";

import { Badge } from "../../../components/ui/States";
import { formatCount, formatDateTime, formatMoney } from "../../../lib/format";
import { statusTone, type RequestLogRow } from "./RequestLogTable";

function Item({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="grid grid-cols-[10rem_1fr] gap-2 py-1.5">
      <dt className="text-slate-600 dark:text-slate-400">{label}</dt>
      <dd className="min-w-0 break-all">{children}</dd>
    </div>
  );
}

export function RequestDetail({ row, utc }: { row: RequestLogRow; utc: boolean }) {
  return (
    <dl className="divide-y divide-slate-100 text-sm dark:divide-slate-800">
      <Item label="Status">
        <Badge tone={statusTone(row.status)}>{row.status}</Badge> {row.statusCode ?? ""}
      </Item>
      {row.errorMessage && (
        <Item label="Error">
          <span className="break-words text-red-700 dark:text-red-300">{row.errorMessage}</span>
        </Item>
      )}
      <Item label="Started">{formatDateTime(row.startedAt, utc)}</Item>
      <Item label="Model group">{row.modelGroup}</Item>
      <Item label="Deployment">{row.deploymentId ?? "—"}</Item>
      <Item label="Provider">{row.provider ?? "—"}</Item>
      <Item label="Call type">{row.callType ?? "—"}</Item>
      <Item label="Input tokens">{formatCount(row.promptTokens)}</Item>
      <Item label="Output tokens">{formatCount(row.completionTokens)}</Item>
      <Item label="Cached tokens">{formatCount(row.cachedTokens)}</Item>
      <Item label="Cost">{formatMoney(row.cost)}</Item>
      <Item label="Latency">{formatCount(row.latencyMs)} ms</Item>
      <Item label="Time to first token">{row.ttftMs !== null ? `${formatCount(row.ttftMs)} ms` : "—"}</Item>
      <Item label="Key">{row.keyId ?? "—"}</Item>
      <Item label="Team">{row.teamId ?? "—"}</Item>
      <Item label="Organization">{row.orgId ?? "—"}</Item>
      <Item label="User">{row.userId ?? "—"}</Item>
      <Item label="End user">{row.endUser ?? "—"}</Item>
      <Item label="Tags">{row.tags.length > 0 ? row.tags.join(", ") : "—"}</Item>
      <Item label="Request id">
        <code className="font-mono text-xs">{row.requestId}</code>
      </Item>
    </dl>
  );
}
