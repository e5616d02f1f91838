import { useMutation, useQuery } from "@apollo/client/react";
import { createColumnHelper } from "@tanstack/react-table";
import { useMemo, useState, type FormEvent } from "react";

import { Button } from "../../../components/ui/Button";
import { DataTable } from "../../../components/ui/DataTable";
import { Dialog } from "../../../components/ui/Dialog";
import { inputClass, SelectField } from "../../../components/ui/Field";
import { MenuContent, MenuItem, MenuRoot, MenuSeparator, MenuTrigger } from "../../../components/ui/Menu";
import { Pager } from "../../../components/ui/Pager";
import { Alert, Badge, EmptyState, ErrorState, LoadingState } from "../../../components/ui/States";
import { cn } from "../../../components/ui/cn";
import { PlatformRole, type UserFieldsFragment } from "../../../gql/graphql";
import { errorMessage } from "../../../lib/apollo";
import { useCursorPages } from "../../../lib/cursors";
import { formatDate, formatDateTime } from "../../../lib/format";
import { canSetPlatformLimits, isSoleAdmin } from "../../../lib/permissions";
import { useViewer } from "../../auth/viewer";
import { PLATFORM_ROLE_LABELS } from "../../orgs/roles";
import { InviteUserForm } from "../components/InviteUserForm";
import { PasswordNotice } from "../components/PasswordNotice";
import { LimitsDialog, RoleDialog } from "../components/UserDialogs";
import { invitePayloadErrors, type InviteValues } from "../inviteForm";
import {
  CreateUserMutation,
  ResetMfaMutation,
  ResetPasswordMutation,
  SetUserBlockedMutation,
  UsersQuery,
} from "../operations";

type Open =
  | { kind: "invite" }
  | { kind: "password"; email: string; password: string }
  | { kind: "role"; user: UserFieldsFragment }
  | { kind: "limits"; user: UserFieldsFragment }
  | null;

const PAGE = 20;
const ALL_ROLES = [PlatformRole.OrgUser, PlatformRole.PlatformCoAdmin, PlatformRole.PlatformAdmin];
const column = createColumnHelper<UserFieldsFragment>();
const WIDTHS = { who: "w-[30%]", role: "w-[17%]", status: "w-[22%]", lastLogin: "w-[14%]", created: "w-[11%]", actions: "w-14" };

function who(user: UserFieldsFragment): string {
  return user.displayName ?? user.email;
}

export default function UsersPage() {
  const viewer = useViewer();
  const pages = useCursorPages();
  const [searchText, setSearchText] = useState("");
  const [search, setSearch] = useState("");
  const [role, setRole] = useState<PlatformRole | "">("");
  const [blocked, setBlocked] = useState<"" | "true" | "false">("");
  const [open, setOpen] = useState<Open>(null);
  const [notice, setNotice] = useState<{ tone: "error" | "success"; text: string } | undefined>();
  const { data, error, loading, refetch } = useQuery(UsersQuery, {
    variables: {
      first: PAGE,
      after: pages.after,
      search: search || null,
      role: role || null,
      blocked: blocked === "" ? null : blocked === "true",
    },
  });
  const [createUser] = useMutation(CreateUserMutation, { refetchQueries: ["Users"] });
  const [resetPassword] = useMutation(ResetPasswordMutation);
  const [resetMfa] = useMutation(ResetMfaMutation);
  const [setUserBlocked] = useMutation(SetUserBlockedMutation);
  // Nobody grants a role above their own.
  const grantable = isSoleAdmin(viewer) ? ALL_ROLES : ALL_ROLES.filter((r) => r !== PlatformRole.PlatformAdmin);
  const users = data?.users.edges.map((e) => e.node) ?? [];

  const columns = useMemo(() => {
    async function run(user: UserFieldsFragment, what: string, action: () => Promise<readonly { message: string }[] | undefined>) {
      setNotice(undefined);
      try {
        const errors = (await action()) ?? [];
        if (errors.length > 0) setNotice({ tone: "error", text: `${what} ${who(user)}: ${errors.map((e) => e.message).join(" ")}` });
        else setNotice({ tone: "success", text: `${what} ${who(user)}: done.` });
      } catch (e) {
        setNotice({ tone: "error", text: `${what} ${who(user)}: ${errorMessage(e)}` });
      }
    }
    async function reset(user: UserFieldsFragment) {
      setNotice(undefined);
      try {
        const { data: result } = await resetPassword({ variables: { userId: user.id } });
        const payload = result?.resetPassword;
        if (payload?.temporaryPassword) setOpen({ kind: "password", email: user.email, password: payload.temporaryPassword });
        else setNotice({ tone: "error", text: `Reset password of ${who(user)}: ${payload?.errors.map((e) => e.message).join(" ") ?? "refused"}` });
      } catch (e) {
        setNotice({ tone: "error", text: `Reset password of ${who(user)}: ${errorMessage(e)}` });
      }
    }
    return [
      column.display({
        id: "who",
        header: "User",
        cell: ({ row }) => (
          <div className="min-w-0">
            <div className="truncate font-medium" title={row.original.displayName ?? row.original.email}>
              {row.original.displayName ?? row.original.email}
            </div>
            {row.original.displayName && <div className="truncate text-xs text-slate-600 dark:text-slate-400">{row.original.email}</div>}
          </div>
        ),
      }),
      column.display({ id: "role", header: "Platform role", cell: ({ row }) => PLATFORM_ROLE_LABELS[row.original.platformRole] }),
      column.display({
        id: "status",
        header: "Status",
        cell: ({ row }) => (
          <div className="flex flex-wrap gap-1">
            {row.original.blocked ? <Badge tone="red">Blocked</Badge> : <Badge tone="green">Active</Badge>}
            {row.original.mustChangePassword && <Badge tone="amber">Password change due</Badge>}
            {row.original.mfaEnabled && <Badge>MFA</Badge>}
          </div>
        ),
      }),
      column.display({
        id: "lastLogin",
        header: "Last sign-in",
        cell: ({ row }) => (
          <span className="block truncate" title={formatDateTime(row.original.lastLoginAt)}>
            {row.original.lastLoginAt ? formatDate(row.original.lastLoginAt) : "Never"}
          </span>
        ),
      }),
      column.display({ id: "created", header: "Created", cell: ({ row }) => formatDate(row.original.createdAt) }),
      column.display({
        id: "actions",
        header: () => <span className="sr-only">Actions</span>,
        cell: ({ row }) => {
          const user = row.original;
          return (
            <MenuRoot>
              <MenuTrigger asChild>
                <Button variant="ghost" size="sm" aria-label={`Actions for ${user.email}`}>
                  <span aria-hidden>⋯</span>
                </Button>
              </MenuTrigger>
              <MenuContent>
                <MenuItem onSelect={() => setOpen({ kind: "role", user })}>Change role</MenuItem>
                <MenuItem onSelect={() => setOpen({ kind: "limits", user })}>Limits</MenuItem>
                <MenuItem onSelect={() => void reset(user)}>Reset password</MenuItem>
                {user.mfaEnabled && (
                  <MenuItem
                    onSelect={() =>
                      void run(user, "Reset MFA of", async () => (await resetMfa({ variables: { userId: user.id } })).data?.resetMfa.errors)
                    }
                  >
                    Reset MFA
                  </MenuItem>
                )}
                <MenuSeparator />
                <MenuItem
                  danger={!user.blocked}
                  onSelect={() =>
                    void run(
                      user,
                      user.blocked ? "Unblock" : "Block",
                      async () => (await setUserBlocked({ variables: { userId: user.id, blocked: !user.blocked } })).data?.setUserBlocked.errors,
                    )
                  }
                >
                  {user.blocked ? "Unblock" : "Block"}
                </MenuItem>
              </MenuContent>
            </MenuRoot>
          );
        },
      }),
    ];
  }, [resetMfa, resetPassword, setUserBlocked]);

  async function invite(values: InviteValues) {
    try {
      const { data: result } = await createUser({
        variables: { email: values.email.trim(), role: values.role, displayName: values.displayName.trim() || null },
      });
      const payload = result?.createUser;
      const refused = invitePayloadErrors(payload?.errors ?? []);
      if (refused) return refused;
      if (!payload?.user || !payload.temporaryPassword) return { form: "The user was not created." };
      setOpen({ kind: "password", email: payload.user.email, password: payload.temporaryPassword });
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

  const filtered = search !== "" || role !== "" || blocked !== "";
  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <h1 className="text-2xl font-semibold">Users</h1>
        <Button onClick={() => setOpen({ kind: "invite" })}>Invite user</Button>
      </div>
      <div className="flex flex-wrap items-end gap-3">
        <form role="search" onSubmit={submitSearch} className="flex items-end gap-2">
          <div>
            <label htmlFor="user-search" className="block text-sm font-medium">
              Search
            </label>
            <input
              id="user-search"
              type="search"
              placeholder="E-mail or name"
              className={cn(inputClass, "w-64")}
              value={searchText}
              onChange={(e) => setSearchText(e.target.value)}
            />
          </div>
          <Button type="submit" variant="secondary">
            Search
          </Button>
        </form>
        <SelectField
          label="Role"
          className="w-52"
          value={role}
          onChange={(e) => {
            setRole(e.target.value as PlatformRole | "");
            pages.reset();
          }}
        >
          <option value="">Every role</option>
          {ALL_ROLES.map((r) => (
            <option key={r} value={r}>
              {PLATFORM_ROLE_LABELS[r]}
            </option>
          ))}
        </SelectField>
        <SelectField
          label="Status"
          className="w-40"
          value={blocked}
          onChange={(e) => {
            setBlocked(e.target.value as "" | "true" | "false");
            pages.reset();
          }}
        >
          <option value="">Any</option>
          <option value="false">Active</option>
          <option value="true">Blocked</option>
        </SelectField>
      </div>
      {notice && <Alert tone={notice.tone}>{notice.text}</Alert>}
      {error && <ErrorState message={errorMessage(error)} onRetry={() => void refetch()} />}
      {loading && !data && <LoadingState label="Loading users" />}
      {data && users.length === 0 && <EmptyState title={filtered ? "No user matches" : "No users yet"}>{filtered ? "Change the search or the filters." : null}</EmptyState>}
      {data && users.length > 0 && (
        <>
          <DataTable label="Users" data={users} columns={columns} getRowId={(u) => u.id} widths={WIDTHS} minWidth="min-w-[46rem]" />
          <Pager
            total={data.users.totalCount}
            noun={["user", "users"]}
            page={pages.page}
            hasNext={data.users.pageInfo.hasNextPage}
            onPrevious={pages.previous}
            onNext={() => pages.next(data.users.pageInfo.endCursor)}
          />
        </>
      )}
      <Dialog open={open?.kind === "invite"} onOpenChange={(o) => !o && setOpen(null)} title="Invite a user">
        {open?.kind === "invite" && <InviteUserForm roles={grantable} onSubmit={invite} onCancel={() => setOpen(null)} />}
      </Dialog>
      <Dialog open={open?.kind === "password"} onOpenChange={(o) => !o && setOpen(null)} title="Temporary password">
        {open?.kind === "password" && <PasswordNotice email={open.email} password={open.password} onDone={() => setOpen(null)} />}
      </Dialog>
      <RoleDialog user={open?.kind === "role" ? open.user : null} roles={grantable} onClose={() => setOpen(null)} />
      <LimitsDialog user={open?.kind === "limits" ? open.user : null} canEdit={canSetPlatformLimits(viewer)} onClose={() => setOpen(null)} />
    </div>
  );
}
