import { useQuery } from "@apollo/client/react";
import { lazy, Suspense, useCallback, useState } from "react";

import { PeriodPicker } from "../../../components/PeriodPicker";
import { BreakdownTable } from "../components/BreakdownTable";
import { Dialog } from "../../../components/ui/Dialog";
import { SelectField, TextField } from "../../../components/ui/Field";
import { Pager } from "../../../components/ui/Pager";
import { Card, EmptyState, ErrorState, LoadingState } from "../../../components/ui/States";
import { Tab, TabPanel, TabsList, TabsRoot } from "../../../components/ui/Tabs";
import { SpendDimension } from "../../../gql/graphql";
import { errorMessage } from "../../../lib/apollo";
import { useCursorPages } from "../../../lib/cursors";
import { formatCount, formatMoney } from "../../../lib/format";
import { usePeriod } from "../../../lib/period";
import { LiveRequestTail } from "../components/LiveRequestTail";
import { RequestDetail } from "../components/RequestDetail";
import { RequestLogTable, type RequestLogRow } from "../components/RequestLogTable";
import { RequestLogsQuery, RequestLogTeamsQuery, UsageQuery } from "../operations";

const UsageCharts = lazy(() => import("../components/UsageChart").then((m) => ({ default: m.UsageCharts })));

const DIMENSIONS: Array<{ value: SpendDimension; label: string }> = [
  { value: SpendDimension.Model, label: "Model" },
  { value: SpendDimension.Key, label: "Key" },
  { value: SpendDimension.Team, label: "Team" },
  { value: SpendDimension.Org, label: "Organization" },
  { value: SpendDimension.User, label: "User" },
  { value: SpendDimension.EndUser, label: "End user" },
];

const STATUSES = ["ok", "error", "cancelled"];

export default function UsagePage() {
  const { period } = usePeriod();
  const [by, setBy] = useState<SpendDimension>(SpendDimension.Model);
  const [utc, setUtc] = useState(false);
  const [model, setModel] = useState("");
  const [keyId, setKeyId] = useState("");
  const [teamId, setTeamId] = useState("");
  const [status, setStatus] = useState("");
  const [open, setOpen] = useState<RequestLogRow | null>(null);
  const pages = useCursorPages();

  const usage = useQuery(UsageQuery, {
    variables: { start: period.start, end: period.end, from: period.from, until: period.until, hourly: period.hourly, by },
  });
  const filter = {
    start: period.from,
    end: period.until,
    modelGroup: model.trim() || null,
    keyId: keyId.trim() || null,
    teamId: teamId || null,
    status: status || null,
  };
  const teams = useQuery(RequestLogTeamsQuery);
  const logs = useQuery(RequestLogsQuery, { variables: { first: 25, after: pages.after, filter } });
  const onOpen = useCallback((row: RequestLogRow) => setOpen(row), []);
  const days = (period.hourly ? usage.data?.hourlySpend : usage.data?.dailySpend) ?? [];
  const spend = days.reduce((sum, d) => sum + Number(d.cost), 0);
  const requests = days.reduce((sum, d) => sum + d.requests, 0);
  const rows = logs.data?.requestLogs.edges.map((e) => e.node) ?? [];

  return (
    <div className="space-y-6">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <h1 className="text-2xl font-semibold">Usage</h1>
        <PeriodPicker />
      </div>
      <Card
        title="Spend and tokens over time"
        actions={
          usage.data && (
            <span className="text-sm text-slate-700 dark:text-slate-300">
              {formatMoney(spend)} · {formatCount(requests)} {requests === 1 ? "request" : "requests"}
            </span>
          )
        }
      >
        {usage.error && <ErrorState message={errorMessage(usage.error)} onRetry={() => void usage.refetch()} />}
        {usage.loading && !usage.data && <LoadingState />}
        {usage.data && (
          <Suspense fallback={<LoadingState label="Loading the charts" />}>
            <UsageCharts days={days} hourly={period.hourly} />
          </Suspense>
        )}
      </Card>
      <Card title="Breakdown">
        <TabsRoot value={by} onValueChange={(v) => setBy(v as SpendDimension)}>
          <TabsList label="Break spend down by">
            {DIMENSIONS.map((d) => (
              <Tab key={d.value} value={d.value}>
                {d.label}
              </Tab>
            ))}
          </TabsList>
          {DIMENSIONS.map((d) => (
            <TabPanel key={d.value} value={d.value}>
              {usage.data && (
                <BreakdownTable rows={(period.hourly ? usage.data.recentBreakdown : usage.data.breakdown) ?? []} dimension={d.label} />
              )}
            </TabPanel>
          ))}
        </TabsRoot>
      </Card>
      <section aria-labelledby="request-log-heading" className="space-y-3">
        <div className="flex flex-wrap items-end justify-between gap-3">
          <h2 id="request-log-heading" className="text-lg font-semibold">
            Request log
          </h2>
          <label className="flex items-center gap-2 text-sm">
            <input type="checkbox" checked={utc} onChange={(e) => setUtc(e.target.checked)} />
            Show times in UTC
          </label>
        </div>
        <div className="flex flex-wrap items-end gap-3">
          <TextField
            label="Model"
            className="w-48"
            value={model}
            onChange={(e) => {
              setModel(e.target.value);
              pages.reset();
            }}
          />
          <TextField
            label="Key id"
            className="w-64"
            value={keyId}
            onChange={(e) => {
              setKeyId(e.target.value);
              pages.reset();
            }}
          />
          <SelectField
            label="Team"
            className="w-56"
            value={teamId}
            onChange={(e) => {
              setTeamId(e.target.value);
              pages.reset();
            }}
          >
            <option value="">Any</option>
            {(teams.data?.organizations.edges ?? []).map(({ node: org }) =>
              org.teams.length > 0 ? (
                <optgroup key={org.id} label={org.name}>
                  {org.teams.map((team) => (
                    <option key={team.id} value={team.id}>
                      {team.name}
                    </option>
                  ))}
                </optgroup>
              ) : null,
            )}
          </SelectField>
          <SelectField
            label="Status"
            className="w-40"
            value={status}
            onChange={(e) => {
              setStatus(e.target.value);
              pages.reset();
            }}
          >
            <option value="">Any</option>
            {STATUSES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </SelectField>
        </div>
        <LiveRequestTail filter={filter} utc={utc} onOpen={onOpen} />
        {logs.error && <ErrorState message={errorMessage(logs.error)} onRetry={() => void logs.refetch()} />}
        {logs.loading && !logs.data && <LoadingState label="Loading requests" />}
        {logs.data && rows.length === 0 && <EmptyState title="No request in this period matches" />}
        {rows.length > 0 && <RequestLogTable rows={rows} utc={utc} onOpen={onOpen} />}
        {logs.data && (
          <Pager
            total={logs.data.requestLogs.totalCount}
            noun={["request", "requests"]}
            page={pages.page}
            hasNext={logs.data.requestLogs.pageInfo.hasNextPage}
            onPrevious={pages.previous}
            onNext={() => pages.next(logs.data?.requestLogs.pageInfo.endCursor ?? null)}
          />
        )}
      </section>
      <Dialog drawer open={open !== null} onOpenChange={(o) => !o && setOpen(null)} title="Request details">
        {open && <RequestDetail row={open} utc={utc} />}
      </Dialog>
    </div>
  );
}
