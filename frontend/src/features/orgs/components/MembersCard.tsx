import { createColumnHelper } from "@tanstack/react-table";
import { useMemo, useState, type FormEvent } from "react";

import { Button } from "../../../components/ui/Button";
import { DataTable } from "../../../components/ui/DataTable";
import { inputClass, SelectField, TextField } from "../../../components/ui/Field";
import { Pager } from "../../../components/ui/Pager";
import { Alert, Card, EmptyState, ErrorState, LoadingState } from "../../../components/ui/States";
import { cn } from "../../../components/ui/cn";

export interface MemberRow<R extends string> {
  userId: string;
  email: string | null;
  displayName: string | null;
  role: R | null;
}

export interface MemberPage<R extends string> {
  rows: MemberRow<R>[];
  total: number;
  page: number;
  hasNext: boolean;
  onPrevious: () => void;
  onNext: () => void;
}

interface Props<R extends string> {
  /** "organization" or "team": used in headings and labels. */
  of: string;
  roles: Record<R, string>;
  defaultRole: R;
  loading: boolean;
  error: string | undefined;
  page: MemberPage<R> | null;
  canEdit: boolean;
  /** Accounts to choose from; null when the viewer may not list users (they type an id). */
  candidates: Array<{ id: string; email: string }> | null;
  /** Narrows the candidates by part of an e-mail or name. */
  onCandidateSearch?: (text: string) => void;
  /** Each answers an error message, or null on success. */
  onSetRole: (userId: string, role: R) => Promise<string | null>;
  onRemove: (userId: string) => Promise<string | null>;
  onRetry: () => void;
}

const WIDTHS = { who: "w-[45%]", role: "w-[30%]", actions: "w-[25%]" };

/** A paged member list with roles; managers add members, change roles and remove them. */
export function MembersCard<R extends string>(props: Props<R>) {
  const { of, roles, defaultRole, loading, error, page, canEdit, candidates, onCandidateSearch, onSetRole, onRemove, onRetry } = props;
  const [find, setFind] = useState("");
  const [userId, setUserId] = useState("");
  const [role, setRole] = useState<R>(defaultRole);
  const [addError, setAddError] = useState<string | undefined>();
  const [rowError, setRowError] = useState<string | undefined>();
  const roleEntries = useMemo(() => Object.entries(roles) as Array<[R, string]>, [roles]);

  const columns = useMemo(() => {
    const column = createColumnHelper<MemberRow<R>>();
    return [
      column.display({
        id: "who",
        header: "Member",
        cell: ({ row }) => (
          <div className="min-w-0">
            <div className="truncate font-medium" title={row.original.email ?? row.original.userId}>
              {row.original.displayName ?? row.original.email ?? row.original.userId}
            </div>
            {row.original.displayName && (
              <div className="truncate text-xs text-slate-600 dark:text-slate-400">{row.original.email}</div>
            )}
          </div>
        ),
      }),
      column.display({
        id: "role",
        header: "Role",
        cell: ({ row }) => {
          const label = row.original.email ?? row.original.userId;
          const current = row.original.role;
          if (!canEdit || current === null) return current ? roles[current] : "—";
          return (
            <select
              aria-label={`Role of ${label}`}
              className={cn(inputClass, "py-1")}
              value={current}
              onChange={(e) => {
                setRowError(undefined);
                void onSetRole(row.original.userId, e.target.value as R).then((m) => m && setRowError(m));
              }}
            >
              {roleEntries.map(([value, text]) => (
                <option key={value} value={value}>
                  {text}
                </option>
              ))}
            </select>
          );
        },
      }),
      column.display({
        id: "actions",
        header: () => <span className="sr-only">Actions</span>,
        cell: ({ row }) =>
          canEdit ? (
            <Button
              variant="ghost"
              size="sm"
              aria-label={`Remove ${row.original.email ?? row.original.userId} from the ${of}`}
              onClick={() => {
                setRowError(undefined);
                void onRemove(row.original.userId).then((m) => m && setRowError(m));
              }}
            >
              Remove
            </Button>
          ) : null,
      }),
    ];
  }, [canEdit, of, onRemove, onSetRole, roleEntries, roles]);

  async function add(event: FormEvent): Promise<void> {
    event.preventDefault();
    const id = userId.trim();
    if (id === "") {
      setAddError(candidates ? "Choose a user." : "Enter the user's id.");
      return;
    }
    setAddError(undefined);
    const refused = await onSetRole(id, role);
    if (refused) setAddError(refused);
    else setUserId("");
  }

  return (
    <Card title="Members">
      <div className="space-y-3">
        {canEdit && (
          <form noValidate onSubmit={(e) => void add(e)} aria-label={`Add a member to the ${of}`} className="flex flex-wrap items-start gap-2">
            {candidates && onCandidateSearch && (
              <TextField
                label="Find user"
                type="search"
                placeholder="Part of an e-mail"
                className="w-52"
                value={find}
                onChange={(e) => {
                  setFind(e.target.value);
                  onCandidateSearch(e.target.value.trim());
                }}
              />
            )}
            {candidates ? (
              <SelectField label="User" className="w-64" value={userId} error={addError} onChange={(e) => setUserId(e.target.value)}>
                <option value="">Choose a user…</option>
                {candidates.map((c) => (
                  <option key={c.id} value={c.id}>
                    {c.email}
                  </option>
                ))}
              </SelectField>
            ) : (
              <TextField label="User id" className="w-64" value={userId} error={addError} onChange={(e) => setUserId(e.target.value)} />
            )}
            <SelectField label="Role" className="w-44" value={role} onChange={(e) => setRole(e.target.value as R)}>
              {roleEntries.map(([value, text]) => (
                <option key={value} value={value}>
                  {text}
                </option>
              ))}
            </SelectField>
            <Button type="submit" className="mt-6">
              Add member
            </Button>
          </form>
        )}
        {rowError && <Alert tone="error">{rowError}</Alert>}
        {error && <ErrorState message={error} onRetry={onRetry} />}
        {loading && !page && <LoadingState label="Loading members" />}
        {page && page.rows.length === 0 && <EmptyState title={`This ${of} has no members yet`} />}
        {page && page.rows.length > 0 && (
          <>
            <DataTable label={`Members of the ${of}`} data={page.rows} columns={columns} getRowId={(m) => m.userId} widths={WIDTHS} />
            <Pager total={page.total} noun={["member", "members"]} page={page.page} hasNext={page.hasNext} onPrevious={page.onPrevious} onNext={page.onNext} />
          </>
        )}
      </div>
    </Card>
  );
}
