import { useQuery } from "@apollo/client/react";
import { lazy, Suspense } from "react";
import { Link } from "react-router";

import { PeriodPicker } from "../../../components/PeriodPicker";
import { Card, ErrorState, LoadingState } from "../../../components/ui/States";
import { errorMessage } from "../../../lib/apollo";
import { formatCompact, formatCount, formatMoney, formatPercent } from "../../../lib/format";
import { usePeriod } from "../../../lib/period";
import { BudgetAlerts } from "../components/BudgetAlerts";
import { BreakdownList } from "../components/BreakdownList";
import { StatCard } from "../components/StatCard";
import { BudgetsQuery, DashboardQuery } from "../operations";

// The chart library is the largest dependency: the totals render without waiting for it. It
// is requested as soon as this page's code runs, so it loads beside the data, not after it.
const chartModule = import("../components/DailySpendChart");
const DailySpendChart = lazy(() => chartModule.then((m) => ({ default: m.DailySpendChart })));

export default function DashboardPage() {
  const { period } = usePeriod();
  const { data, error, loading, refetch } = useQuery(DashboardQuery, {
    variables: { start: period.start, end: period.end, from: period.from, until: period.until, hourly: period.hourly },
  });
  const stats = data?.requestStats;
  // 24 h: everything from the request log over the same hours; days: the daily totals.
  const totals = period.hourly ? stats : data?.spendTotals;
  const series = (period.hourly ? data?.hourlySpend : data?.dailySpend) ?? [];
  const byModel = (period.hourly ? data?.byModelRecent : data?.byModel) ?? [];
  const byKey = (period.hourly ? data?.byKeyRecent : data?.byKey) ?? [];
  const byTeam = (period.hourly ? data?.byTeamRecent : data?.byTeam) ?? [];
  const budgets = useQuery(BudgetsQuery);

  return (
    <div className="space-y-6">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <h1 className="text-2xl font-semibold">Dashboard</h1>
        <PeriodPicker />
      </div>
      {error && <ErrorState message={errorMessage(error)} onRetry={() => void refetch()} />}
      {loading && !data && <LoadingState label="Loading totals" />}
      {data && (
        <>
          <dl className="grid grid-cols-5 gap-4 max-[1100px]:grid-cols-3 max-[900px]:grid-cols-2">
            <StatCard label="Spend" value={totals ? formatMoney(totals.cost) : "—"} />
            <StatCard label="Requests" value={totals ? formatCount(totals.requests) : "—"} />
            <StatCard
              label="Tokens"
              value={totals ? formatCompact(totals.promptTokens + totals.completionTokens) : "—"}
              detail={totals && `${formatCount(totals.promptTokens)} in · ${formatCount(totals.completionTokens)} out`}
            />
            <StatCard
              label="Error rate"
              value={stats?.errorRate != null ? formatPercent(stats.errorRate) : "—"}
              detail={stats && `${formatCount(stats.failed)} failed of ${formatCount(stats.requests)} logged`}
            />
            <StatCard
              label="Median latency"
              value={stats?.p50LatencyMs != null ? `${formatCount(stats.p50LatencyMs)} ms` : "—"}
              detail="p50 of successful calls"
            />
          </dl>
          <Card title={period.hourly ? "Spend per hour" : "Daily spend"}>
            <Suspense fallback={<LoadingState label="Loading the chart" />}>
              <DailySpendChart days={series} hourly={period.hourly} />
            </Suspense>
          </Card>

          <div className="grid grid-cols-3 gap-4 max-[1100px]:grid-cols-1">
            <Card title="Spend by model">
              <BreakdownList
                label="Spend by model"
                rows={byModel.map((r) => ({ key: r.label ?? "?", name: r.label ?? "—", cost: r.cost, requests: r.requests }))}
              />
            </Card>
            <Card title="Top keys">
              <BreakdownList
                label="Top keys"
                rows={byKey.map((r) => ({
                  key: r.label ?? "?",
                  name: r.label ? <Link className="text-indigo-700 underline dark:text-indigo-300" to={`/keys/${r.label}`}>{r.name ?? r.label}</Link> : "—",
                  cost: r.cost,
                  requests: r.requests,
                }))}
              />
            </Card>
            <Card title="Top teams">
              <BreakdownList
                label="Top teams"
                rows={byTeam.map((r) => ({
                  key: r.label ?? "none",
                  name: r.label ? (r.name ?? r.label) : "No team",
                  cost: r.cost,
                  requests: r.requests,
                }))}
              />
            </Card>
          </div>
        </>
      )}
      <Card title="Budgets above 80 %">
        {budgets.error && <ErrorState message={errorMessage(budgets.error)} />}
        {budgets.loading && !budgets.data && <LoadingState />}
        {budgets.data && <BudgetAlerts budgets={budgets.data.budgetsNearLimit} />}
      </Card>
    </div>
  );
}
