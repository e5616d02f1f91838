import { useMutation, useQuery } from "@apollo/client/react";
import { createColumnHelper } from "@tanstack/react-table";
import { useMemo, useState, type FormEvent } from "react";

import { Button } from "../../../components/ui/Button";
import { DataTable } from "../../../components/ui/DataTable";
import { Dialog } from "../../../components/ui/Dialog";
import { inputClass } from "../../../components/ui/Field";
import { Pager } from "../../../components/ui/Pager";
import { Alert, Badge, EmptyState, ErrorState, LoadingState } from "../../../components/ui/States";
import { cn } from "../../../components/ui/cn";
import type { EndUsersQuery as EndUsersData } from "../../../gql/graphql";
import { errorMessage } from "../../../lib/apollo";
import { useCursorPages } from "../../../lib/cursors";
import { formatDate, formatDateTime } from "../../../lib/format";
import { canSetPlatformLimits } from "../../../lib/permissions";
import { useViewer } from "../../auth/viewer";
import { SpendCell } from "../../teams/components/TeamsTable";
import { BudgetForm } from "../components/BudgetForm";
import { budgetPayloadErrors, type BudgetValues } from "../budgetForm";
import { EndUsersQuery, SetEndUserBlockedMutation, SetEndUserBudgetMutation } from "../operations";

type EndUserRow = EndUsersData["endUsers"]["edges"][number]["node"];
const PAGE = 20;
const column = createColumnHelper<EndUserRow>();
const WIDTHS = { externalId: "w-[30%]", spend: "w-[26%]", resets: "w-[16%]", status: "w-[12%]", actions: "w-[16%]" };

export default function EndUsersPage() {
  const viewer = useViewer();
  const edits = canSetPlatformLimits(viewer);
  const pages = useCursorPages();
  const [searchText, setSearchText] = useState("");
  const [search, setSearch] = useState("");
  const [editing, setEditing] = useState<EndUserRow | null>(null);
  const [actionError, setActionError] = useState<string | undefined>();
  const { data, error, loading, refetch } = useQuery(EndUsersQuery, { variables: { first: PAGE, after: pages.after, search: search || null } });
  const [setBudget] = useMutation(SetEndUserBudgetMutation);
  const [setBlocked] = useMutation(SetEndUserBlockedMutation);
  const rows = data?.endUsers.edges.map((e) => e.node) ?? [];

  const columns = useMemo(() => {
    async function toggle(row: EndUserRow) {
      setActionError(undefined);
      try {
        const { data: result } = await setBlocked({ variables: { externalId: row.externalId, blocked: !row.blocked } });
        const errors = result?.setEndUserBlocked.errors ?? [];
        if (errors.length > 0) setActionError(errors.map((e) => e.message).join(" "));
      } catch (e) {
        setActionError(errorMessage(e));
      }
    }
    return [
      column.accessor("externalId", {
        header: "End user",
        cell: (info) => (
          <span className="block truncate font-mono text-xs" title={info.getValue()}>
            {info.getValue()}
          </span>
        ),
      }),
      column.display({
        id: "spend",
        header: "Spend / budget",
        cell: ({ row }) => (
          <div>
            <SpendCell name={row.original.externalId} spend={row.original.spend} maxBudget={row.original.maxBudget} />
            {row.original.budgetDuration && <div className="text-xs text-slate-600 dark:text-slate-400">per {row.original.budgetDuration}</div>}
          </div>
        ),
      }),
      column.display({
        id: "resets",
        header: "Resets",
        cell: ({ row }) => (
          <span className="block truncate" title={formatDateTime(row.original.budgetResetAt)}>
            {formatDate(row.original.budgetResetAt)}
          </span>
        ),
      }),
      column.display({
        id: "status",
        header: "Status",
        cell: ({ row }) => (row.original.blocked ? <Badge tone="red">Blocked</Badge> : <Badge tone="green">Active</Badge>),
      }),
      column.display({
        id: "actions",
        header: () => <span className="sr-only">Actions</span>,
        cell: ({ row }) =>
          edits ? (
            <div className="flex flex-wrap gap-1">
              <Button variant="ghost" size="sm" aria-label={`Budget of ${row.original.externalId}`} onClick={() => setEditing(row.original)}>
                Budget
              </Button>
              <Button variant="ghost" size="sm" aria-label={`${row.original.blocked ? "Unblock" : "Block"} ${row.original.externalId}`} onClick={() => void toggle(row.original)}>
                {row.original.blocked ? "Unblock" : "Block"}
              </Button>
            </div>
          ) : null,
      }),
    ];
  }, [edits, setBlocked]);

  async function saveBudget(row: EndUserRow, values: BudgetValues) {
    try {
      const budget = values.maxBudget.trim();
      const { data: result } = await setBudget({
        variables: { externalId: row.externalId, maxBudget: budget || null, budgetDuration: values.budgetDuration.trim() || null },
      });
      const refused = budgetPayloadErrors(result?.setEndUserBudget.errors ?? []);
      if (refused) return refused;
      setEditing(null);
      return null;
    } catch (e) {
      return { form: errorMessage(e) };
    }
  }

  function submitSearch(event: FormEvent): void {
    event.preventDefault();
    setSearch(searchText.trim());
    pages.reset();
  }

  return (
    <div className="space-y-4">
      <h1 className="text-2xl font-semibold">End users</h1>
      <p className="max-w-3xl text-sm text-slate-600 dark:text-slate-400">
        Your own customers, as callers name them in the <code>user</code> field of a request. They appear here after their first call.
      </p>
      <form role="search" onSubmit={submitSearch} className="flex items-end gap-2">
        <div>
          <label htmlFor="end-user-search" className="block text-sm font-medium">
            Search
          </label>
          <input
            id="end-user-search"
            type="search"
            placeholder="Part of the id"
            className={cn(inputClass, "w-64")}
            value={searchText}
            onChange={(e) => setSearchText(e.target.value)}
          />
        </div>
        <Button type="submit" variant="secondary">
          Search
        </Button>
      </form>
      {!edits && <Alert tone="info">Only platform admins change end users' budgets or block them.</Alert>}
      {actionError && <Alert tone="error">{actionError}</Alert>}
      {error && <ErrorState message={errorMessage(error)} onRetry={() => void refetch()} />}
      {loading && !data && <LoadingState label="Loading end users" />}
      {data && rows.length === 0 && <EmptyState title={search ? "No end user matches" : "No end users yet"} />}
      {data && rows.length > 0 && (
        <>
          <DataTable label="End users" data={rows} columns={columns} getRowId={(r) => r.id} widths={WIDTHS} minWidth="min-w-[40rem]" />
          <Pager
            total={data.endUsers.totalCount}
            noun={["end user", "end users"]}
            page={pages.page}
            hasNext={data.endUsers.pageInfo.hasNextPage}
            onPrevious={pages.previous}
            onNext={() => pages.next(data.endUsers.pageInfo.endCursor)}
          />
        </>
      )}
      <Dialog open={editing !== null} onOpenChange={(o) => !o && setEditing(null)} title={editing ? `Budget of ${editing.externalId}` : ""}>
        {editing && (
          <BudgetForm
            key={editing.id}
            initial={{ maxBudget: editing.maxBudget ?? "", budgetDuration: editing.budgetDuration ?? "" }}
            onSubmit={(values) => saveBudget(editing, values)}
            onCancel={() => setEditing(null)}
          />
        )}
      </Dialog>
    </div>
  );
}
