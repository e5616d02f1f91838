import { useMutation, useQuery } from "@apollo/client/react";
import { useCallback, useMemo, useState, type FormEvent } from "react";
import { useNavigate, useParams, useSearchParams } from "react-router";

import { Button } from "../../../components/ui/Button";
import { Dialog } from "../../../components/ui/Dialog";
import { inputClass, SelectField } from "../../../components/ui/Field";
import { Alert, EmptyState, ErrorState, LoadingState } from "../../../components/ui/States";
import { cn } from "../../../components/ui/cn";
import type { KeyFieldsFragment } from "../../../gql/graphql";
import { errorMessage } from "../../../lib/apollo";
import { formatCount } from "../../../lib/format";
import { canSetKeyPolicy, isPlatformAdmin } from "../../../lib/permissions";
import { useViewer } from "../../auth/viewer";
import { prependKey } from "../cache";
import { KeyForm, type KeyFormOptions } from "../components/KeyForm";
import { RegenerateDialog, RevokeDialog } from "../components/KeyConfirmDialogs";
import { KeysTable, type KeyAction } from "../components/KeysTable";
import { KeyAdmissionDrawer } from "./KeyAdmissionDrawer";
import { SecretNotice } from "../components/SecretNotice";
import { createInput, EMPTY_KEY_FORM, payloadErrors, updateInput, valuesOf, type KeyFormValues } from "../keyForm";
import {
  CreateKeyMutation,
  KeyByIdQuery,
  KeyFormOptionsQuery,
  KeysQuery,
  KeyUsersQuery,
  RegenerateKeyMutation,
  RevokeKeyMutation,
  SetKeyBlockedMutation,
  UpdateKeyMutation,
} from "../operations";

type Open =
  | { kind: "create" }
  | { kind: "admission"; key: KeyFieldsFragment }
  | { kind: "edit"; key: KeyFieldsFragment }
  | { kind: "regenerate"; key: KeyFieldsFragment }
  | { kind: "revoke"; key: KeyFieldsFragment }
  | { kind: "secret"; title: string; secret: string }
  | null;

const PAGE_SIZES = [20, 50, 100];

export default function KeysPage() {
  const viewer = useViewer();
  const navigate = useNavigate();
  const { keyId } = useParams();
  const [searchText, setSearchText] = useState("");
  const [search, setSearch] = useState("");
  const [params] = useSearchParams();
  // ?team=<id> opens the list filtered to one team (a team's page links here).
  const [teamId, setTeamId] = useState(params.get("team") ?? "");
  const [userId, setUserId] = useState("");
  const [includeRevoked, setIncludeRevoked] = useState(false);
  const [pageSize, setPageSize] = useState(20);
  const [cursors, setCursors] = useState<Array<string | null>>([null]);
  const [open, setOpen] = useState<Open>(null);
  const [actionError, setActionError] = useState<string | undefined>();
  const after = cursors[cursors.length - 1] ?? null;

  const { data, error, loading, refetch } = useQuery(KeysQuery, {
    variables: {
      first: pageSize,
      after,
      search: search || null,
      teamId: teamId || null,
      userId: userId || null,
      includeRevoked,
    },
  });
  // A deep link (/keys/:keyId) loads its key by id: it need not be on the page shown.
  const linkedQuery = useQuery(KeyByIdQuery, { variables: { keyId: keyId ?? "" }, skip: !keyId });
  const optionsQuery = useQuery(KeyFormOptionsQuery);
  const usersQuery = useQuery(KeyUsersQuery, { skip: !isPlatformAdmin(viewer) });
  const [createKey] = useMutation(CreateKeyMutation);
  const [updateKey] = useMutation(UpdateKeyMutation);
  const [regenerateKey, regenerating] = useMutation(RegenerateKeyMutation);
  const [revokeKey, revoking] = useMutation(RevokeKeyMutation, { refetchQueries: ["Keys"] });
  const [setKeyBlocked] = useMutation(SetKeyBlockedMutation);

  const options: KeyFormOptions = useMemo(
    () => ({
      teams: (optionsQuery.data?.organizations.edges ?? []).flatMap(({ node: org }) =>
        org.teams.map((t) => ({ id: t.id, name: t.name, orgId: org.id, orgName: org.name, guardrails: t.guardrails })),
      ),
      users: usersQuery.data ? usersQuery.data.users.edges.map(({ node }) => node) : null,
      models: (optionsQuery.data?.modelGroups ?? []).map((g) => g.name),
      guardrails: optionsQuery.data?.gatewaySettings.guardrails ?? [],
    }),
    [optionsQuery.data, usersQuery.data],
  );

  /** A new key's policy: the viewer must manage the team chosen (platform admins, keys without one). */
  function maySetNewKeyPolicy(teamId: string): boolean {
    const orgId = options.teams.find((t) => t.id === teamId)?.orgId ?? null;
    return canSetKeyPolicy(viewer, orgId, teamId || null);
  }

  const keys = data?.keys.edges.map((e) => e.node) ?? [];
  const linked = keyId ? (linkedQuery.data?.key ?? keys.find((k) => k.id === keyId)) : undefined;

  function resetPages(): void {
    setCursors([null]);
  }

  function submitSearch(event: FormEvent): void {
    event.preventDefault();
    setSearch(searchText.trim());
    resetPages();
  }

  const onAction = useCallback(
    (action: KeyAction, key: KeyFieldsFragment) => {
      setActionError(undefined);
      if (action === "block" || action === "unblock") {
        setKeyBlocked({ variables: { keyId: key.id, blocked: action === "block" } }).catch((e: unknown) =>
          setActionError(errorMessage(e)),
        );
      } else if (action === "admission") setOpen({ kind: "admission", key });
      else if (action === "edit") setOpen({ kind: "edit", key });
      else if (action === "regenerate") setOpen({ kind: "regenerate", key });
      else setOpen({ kind: "revoke", key });
    },
    [setKeyBlocked],
  );

  async function create(values: KeyFormValues) {
    try {
      const { data: result } = await createKey({
        variables: { input: createInput(values, maySetNewKeyPolicy(values.teamId)) },
        update(cache, { data: created }) {
          const key = created?.createKey.key;
          if (key) prependKey(cache, key);
        },
      });
      const payload = result?.createKey;
      if (!payload || payload.errors.length > 0 || !payload.secret) return payloadErrors(payload?.errors ?? []);
      setOpen({ kind: "secret", title: "Your new key", secret: payload.secret });
      return null;
    } catch (e) {
      return { form: errorMessage(e) };
    }
  }

  async function save(key: KeyFieldsFragment, values: KeyFormValues) {
    try {
      const policy = canSetKeyPolicy(viewer, key.orgId, key.teamId);
      const { data: result } = await updateKey({ variables: { keyId: key.id, input: updateInput(values, policy) } });
      const payload = result?.updateKey;
      if (!payload || payload.errors.length > 0) return payloadErrors(payload?.errors ?? []);
      close(); // a deep-linked key's dialog closes too (back to /keys)
      return null;
    } catch (e) {
      return { form: errorMessage(e) };
    }
  }

  async function regenerate(key: KeyFieldsFragment, grace: number): Promise<void> {
    try {
      const { data: result } = await regenerateKey({
        variables: { keyId: key.id, graceSeconds: grace > 0 ? grace : null },
      });
      const payload = result?.regenerateKey;
      if (!payload?.secret) {
        setActionError(payload?.errors.map((e) => e.message).join(" ") || "The key was not regenerated.");
        setOpen(null);
        return;
      }
      setOpen({ kind: "secret", title: "The key's new secret", secret: payload.secret });
    } catch (e) {
      setActionError(errorMessage(e));
      setOpen(null);
    }
  }

  async function revoke(key: KeyFieldsFragment): Promise<void> {
    try {
      await revokeKey({ variables: { keyId: key.id } });
    } catch (e) {
      setActionError(errorMessage(e));
    }
    setOpen(null);
  }

  function close(): void {
    setOpen(null);
    if (keyId) void navigate("/keys", { replace: true });
  }

  const editing = open?.kind === "edit" ? open.key : !open && linked ? linked : undefined;

  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <h1 className="text-2xl font-semibold">API keys</h1>
        <Button onClick={() => setOpen({ kind: "create" })}>Create key</Button>
      </div>
      <div className="flex flex-wrap items-end gap-3">
        <form role="search" onSubmit={submitSearch} className="flex items-end gap-2">
          <div>
            <label htmlFor="key-search" className="block text-sm font-medium">
              Search
            </label>
            <input
              id="key-search"
              type="search"
              placeholder="Alias or key prefix"
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
          label="Team"
          className="w-56"
          value={teamId}
          onChange={(e) => {
            setTeamId(e.target.value);
            resetPages();
          }}
        >
          <option value="">All teams</option>
          {options.teams.map((t) => (
            <option key={t.id} value={t.id}>
              {t.orgName} / {t.name}
            </option>
          ))}
        </SelectField>
        {options.users && (
          <SelectField
            label="User"
            className="w-56"
            value={userId}
            onChange={(e) => {
              setUserId(e.target.value);
              resetPages();
            }}
          >
            <option value="">All users</option>
            {options.users.map((u) => (
              <option key={u.id} value={u.id}>
                {u.email}
              </option>
            ))}
          </SelectField>
        )}
        <label className="flex items-center gap-2 pb-2 text-sm">
          <input
            type="checkbox"
            checked={includeRevoked}
            onChange={(e) => {
              setIncludeRevoked(e.target.checked);
              resetPages();
            }}
          />
          Show revoked keys
        </label>
      </div>
      {actionError && <Alert tone="error">{actionError}</Alert>}
      {keyId && linkedQuery.loading && <LoadingState label="Loading the linked key" />}
      {keyId && linkedQuery.error && (
        <Alert tone="error">The linked key could not be opened: {errorMessage(linkedQuery.error)}</Alert>
      )}
      {error && <ErrorState message={errorMessage(error)} onRetry={() => void refetch()} />}
      {loading && !data && <LoadingState label="Loading keys" />}
      {data && keys.length === 0 && (
        <EmptyState title={search || teamId || userId ? "No key matches" : "No keys yet"}>
          {search || teamId || userId ? "Change the search or the filters." : "Create a key to call the gateway's OpenAI API."}
        </EmptyState>
      )}
      {data && keys.length > 0 && <KeysTable keys={keys} onAction={onAction} />}
      {data && (
        <nav aria-label="Pages" className="flex items-center justify-between gap-3 text-sm">
          <span className="text-slate-600 dark:text-slate-400">
            {formatCount(data.keys.totalCount)} {data.keys.totalCount === 1 ? "key" : "keys"} · page {cursors.length}
          </span>
          <div className="flex items-center gap-2">
            <label htmlFor="page-size" className="whitespace-nowrap">Per page</label>
            <select
              id="page-size"
              className={cn(inputClass, "w-20 py-1")}
              value={pageSize}
              onChange={(e) => {
                setPageSize(Number(e.target.value));
                resetPages();
              }}
            >
              {PAGE_SIZES.map((n) => (
                <option key={n}>{n}</option>
              ))}
            </select>
            <Button variant="secondary" size="sm" disabled={cursors.length <= 1} onClick={() => setCursors((c) => c.slice(0, -1))}>
              Previous
            </Button>
            <Button
              variant="secondary"
              size="sm"
              disabled={!data.keys.pageInfo.hasNextPage}
              onClick={() => setCursors((c) => [...c, data.keys.pageInfo.endCursor])}
            >
              Next
            </Button>
          </div>
        </nav>
      )}

      <Dialog open={open?.kind === "create"} onOpenChange={(o) => !o && close()} title="Create a key" wide>
        <KeyForm
          mode="create"
          initial={EMPTY_KEY_FORM}
          options={options}
          onSubmit={create}
          onCancel={close}
          maySetPolicy={maySetNewKeyPolicy}
        />
      </Dialog>
      <Dialog open={editing !== undefined} onOpenChange={(o) => !o && close()} title={`Edit ${editing?.alias ?? editing?.keyDisplay ?? "key"}`} wide>
        {editing && (
          <KeyForm
            key={editing.id}
            mode="edit"
            initial={valuesOf(editing)}
            options={options}
            onSubmit={(values) => save(editing, values)}
            onCancel={close}
            maySetPolicy={() => canSetKeyPolicy(viewer, editing.orgId, editing.teamId)}
          />
        )}
      </Dialog>
      <Dialog open={open?.kind === "secret"} onOpenChange={(o) => !o && close()} title={open?.kind === "secret" ? open.title : ""}>
        {open?.kind === "secret" && <SecretNotice secret={open.secret} onDone={close} />}
      </Dialog>
      <RegenerateDialog
        key={open?.kind === "regenerate" ? open.key.id : "none"}
        keyRow={open?.kind === "regenerate" ? open.key : null}
        busy={regenerating.loading}
        onCancel={close}
        onConfirm={(grace) => open?.kind === "regenerate" && void regenerate(open.key, grace)}
      />
      <KeyAdmissionDrawer keyRow={open?.kind === "admission" ? open.key : null} onClose={close} />
      <RevokeDialog
        keyRow={open?.kind === "revoke" ? open.key : null}
        busy={revoking.loading}
        onCancel={close}
        onConfirm={() => open?.kind === "revoke" && void revoke(open.key)}
      />
    </div>
  );
}
