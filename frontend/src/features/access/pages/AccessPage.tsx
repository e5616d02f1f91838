import { useMutation, useQuery } from "@apollo/client/react";
import { createColumnHelper } from "@tanstack/react-table";
import { useMemo, useState, type FormEvent } from "react";

import { Button } from "../../../components/ui/Button";
import { DataTable } from "../../../components/ui/DataTable";
import { inputClass, SelectField } from "../../../components/ui/Field";
import { Pager } from "../../../components/ui/Pager";
import { Alert, Badge, EmptyState, ErrorState, LoadingState } from "../../../components/ui/States";
import { cn } from "../../../components/ui/cn";
import { PlatformRole, type AccessQuery as AccessData, type OrgRole, type TeamRole } from "../../../gql/graphql";
import { errorMessage } from "../../../lib/apollo";
import { useCursorPages } from "../../../lib/cursors";
import { canEditAccess } from "../../../lib/permissions";
import { useViewer } from "../../auth/viewer";
import { RemoveOrgMemberMutation, SetOrgMemberMutation } from "../../orgs/operations";
import { ORG_ROLE_LABELS, PLATFORM_ROLE_LABELS, TEAM_ROLE_LABELS } from "../../orgs/roles";
import { RemoveTeamMemberMutation, SetTeamMemberMutation } from "../../teams/operations";
import { SetUserRoleMutation } from "../../users/operations";
import { MembershipList } from "../components/MembershipList";
import { AccessQuery } from "../operations";

type AccessRow = AccessData["users"]["edges"][number]["node"];
type Errors = ReadonlyArray<{ message: string }> | undefined;

const PAGE = 20;
const ROLES = [PlatformRole.PlatformAdmin, PlatformRole.PlatformCoAdmin, PlatformRole.OrgUser];
const column = createColumnHelper<AccessRow>();
const WIDTHS = { who: "w-[22%]", platformRole: "w-[16%]", orgs: "w-[31%]", teams: "w-[31%]" };

export default function AccessPage() {
  const viewer = useViewer();
  const edits = canEditAccess(viewer);
  const pages = useCursorPages();
  const [searchText, setSearchText] = useState("");
  const [search, setSearch] = useState("");
  const [role, setRole] = useState<PlatformRole | "">("");
  const [notice, setNotice] = useState<string | undefined>();
  const { data, error, loading, refetch } = useQuery(AccessQuery, {
    variables: { first: PAGE, after: pages.after, search: search || null, role: role || null },
  });
  const options = { refetchQueries: ["Access"] };
  const [setUserRole] = useMutation(SetUserRoleMutation, options);
  const [setOrgMember] = useMutation(SetOrgMemberMutation, options);
  const [removeOrgMember] = useMutation(RemoveOrgMemberMutation, options);
  const [setTeamMember] = useMutation(SetTeamMemberMutation, options);
  const [removeTeamMember] = useMutation(RemoveTeamMemberMutation, options);
  const rows = data?.users.edges.map((e) => e.node) ?? [];

  const columns = useMemo(() => {
    function run(who: string, action: () => Promise<Errors>): void {
      setNotice(undefined);
      action()
        .then((errors) => {
          if (errors && errors.length > 0) setNotice(`${who}: ${errors.map((e) => e.message).join(" ")}`);
        })
        .catch((e: unknown) => setNotice(`${who}: ${errorMessage(e)}`));
    }
    return [
      column.display({
        id: "who",
        header: "Account",
        cell: ({ row }) => (
          <div className="min-w-0">
            <div className="truncate font-medium" title={row.original.email}>
              {row.original.displayName ?? row.original.email}
            </div>
            {row.original.displayName && <div className="truncate text-xs text-slate-600 dark:text-slate-400">{row.original.email}</div>}
            {row.original.blocked && <Badge tone="red">Blocked</Badge>}
          </div>
        ),
      }),
      column.display({
        id: "platformRole",
        header: "Platform role",
        cell: ({ row }) => {
          const user = row.original;
          if (!edits) return PLATFORM_ROLE_LABELS[user.platformRole];
          return (
            <select
              aria-label={`Platform role of ${user.email}`}
              className={cn(inputClass, "px-2 py-1 text-xs")}
              value={user.platformRole}
              onChange={(e) =>
                run(user.email, async () => (await setUserRole({ variables: { userId: user.id, role: e.target.value as PlatformRole } })).data?.setUserRole.errors)
              }
            >
              {ROLES.map((r) => (
                <option key={r} value={r}>
                  {PLATFORM_ROLE_LABELS[r]}
                </option>
              ))}
            </select>
          );
        },
      }),
      column.display({
        id: "orgs",
        header: "Organizations",
        cell: ({ row }) => {
          const user = row.original;
          return (
            <MembershipList<OrgRole>
              owner={user.email}
              kind="organization"
              roles={ORG_ROLE_LABELS}
              canEdit={edits}
              items={user.orgMemberships.map((m) => ({ id: m.orgId, name: m.orgName, to: `/orgs/${m.orgId}`, role: m.role }))}
              onRole={(orgId, r) =>
                run(user.email, async () => (await setOrgMember({ variables: { orgId, userId: user.id, role: r } })).data?.setOrgMember.errors)
              }
              onRemove={(orgId) =>
                run(user.email, async () => (await removeOrgMember({ variables: { orgId, userId: user.id } })).data?.removeOrgMember.errors)
              }
            />
          );
        },
      }),
      column.display({
        id: "teams",
        header: "Teams",
        cell: ({ row }) => {
          const user = row.original;
          return (
            <MembershipList<TeamRole>
              owner={user.email}
              kind="team"
              roles={TEAM_ROLE_LABELS}
              canEdit={edits}
              items={user.teamMemberships.map((m) => ({ id: m.teamId, name: m.teamName, to: `/orgs/${m.orgId}/teams/${m.teamId}`, role: m.role }))}
              onRole={(teamId, r) =>
                run(user.email, async () => (await setTeamMember({ variables: { teamId, userId: user.id, role: r } })).data?.setTeamMember.errors)
              }
              onRemove={(teamId) =>
                run(user.email, async () => (await removeTeamMember({ variables: { teamId, userId: user.id } })).data?.removeTeamMember.errors)
              }
            />
          );
        },
      }),
    ];
  }, [edits, removeOrgMember, removeTeamMember, setOrgMember, setTeamMember, setUserRole]);

  function submitSearch(event: FormEvent): void {
    event.preventDefault();
    setSearch(searchText.trim());
    pages.reset();
  }

  return (
    <div className="space-y-4">
      <h1 className="text-2xl font-semibold">Access control</h1>
      <p className="max-w-3xl text-sm text-slate-600 dark:text-slate-400">
        Every account with its platform role and its roles in organizations and teams. Add members on an organization's or a team's page.
      </p>
      {!edits && <Alert tone="info">You can read access here; only platform admins change it.</Alert>}
      <div className="flex flex-wrap items-end gap-3">
        <form role="search" onSubmit={submitSearch} className="flex items-end gap-2">
          <div>
            <label htmlFor="access-search" className="block text-sm font-medium">
              Search
            </label>
            <input
              id="access-search"
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
          label="Platform role"
          className="w-52"
          value={role}
          onChange={(e) => {
            setRole(e.target.value as PlatformRole | "");
            pages.reset();
          }}
        >
          <option value="">Every role</option>
          {ROLES.map((r) => (
            <option key={r} value={r}>
              {PLATFORM_ROLE_LABELS[r]}
            </option>
          ))}
        </SelectField>
      </div>
      {notice && <Alert tone="error">{notice}</Alert>}
      {error && <ErrorState message={errorMessage(error)} onRetry={() => void refetch()} />}
      {loading && !data && <LoadingState label="Loading accounts" />}
      {data && rows.length === 0 && <EmptyState title="No account matches" />}
      {data && rows.length > 0 && (
        <>
          <DataTable label="Accounts and their access" data={rows} columns={columns} getRowId={(r) => r.id} widths={WIDTHS} minWidth="min-w-[48rem]" />
          <Pager
            total={data.users.totalCount}
            noun={["account", "accounts"]}
            page={pages.page}
            hasNext={data.users.pageInfo.hasNextPage}
            onPrevious={pages.previous}
            onNext={() => pages.next(data.users.pageInfo.endCursor)}
          />
        </>
      )}
    </div>
  );
}
