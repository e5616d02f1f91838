import { useMutation, useQuery } from "@apollo/client/react";
import { useEffect, useMemo, useRef, useState, type FormEvent } from "react";

import { Button } from "../../../components/ui/Button";
import { SelectField } from "../../../components/ui/Field";
import { inputClass } from "../../../components/ui/Field";
import { Alert, Card, ErrorState, Spinner } from "../../../components/ui/States";
import { cn } from "../../../components/ui/cn";
import { OrgRole } from "../../../gql/graphql";
import { errorMessage } from "../../../lib/apollo";
import { formatDateTime } from "../../../lib/format";
import { isPlatformAdmin } from "../../../lib/permissions";
import { useViewer } from "../../auth/viewer";
import { ChatTranscript, type ChatMessage } from "../components/ChatTranscript";
import { CreatePlaygroundKeyMutation, PlaygroundTeamsQuery } from "../operations";
import { listModels, streamChat } from "../sse";

const MINUTES = [5, 15, 30, 60];
const MINTING_ORG_ROLES: ReadonlySet<OrgRole> = new Set([OrgRole.OrgOwner, OrgRole.OrgAdmin]);

/** A short-lived key held in memory only: it is gone when the page is left or reloaded. */
interface Session {
  secret: string;
  expiresAt: string | null;
  models: string[];
}

export default function PlaygroundPage() {
  const viewer = useViewer();
  const admin = isPlatformAdmin(viewer);
  const teamsQuery = useQuery(PlaygroundTeamsQuery);
  const [mint, minting] = useMutation(CreatePlaygroundKeyMutation);
  const [teamId, setTeamId] = useState("");
  const [minutes, setMinutes] = useState(15);
  const [session, setSession] = useState<Session | null>(null);
  const [sessionError, setSessionError] = useState<string | undefined>();
  const [model, setModel] = useState("");
  const [draft, setDraft] = useState("");
  const [messages, setMessages] = useState<ChatMessage[]>([]);
  const [streaming, setStreaming] = useState(false);
  const [now, setNow] = useState(() => Date.now());
  const abort = useRef<AbortController | null>(null);

  const teams = useMemo(() => {
    const mine = new Set(viewer.teamRoles.map((g) => g.teamId));
    const orgsRun = new Set(viewer.orgRoles.filter((g) => MINTING_ORG_ROLES.has(g.role)).map((g) => g.orgId));
    return (teamsQuery.data?.organizations.edges ?? []).flatMap(({ node: org }) =>
      org.teams
        .filter((t) => admin || mine.has(t.id) || orgsRun.has(org.id))
        .map((t) => ({ id: t.id, label: `${org.name} / ${t.name}` })),
    );
  }, [teamsQuery.data, viewer, admin]);
  const chosenTeam = teamId || (admin ? "" : (teams[0]?.id ?? ""));

  useEffect(() => {
    if (!session?.expiresAt) return;
    const timer = window.setInterval(() => setNow(Date.now()), 10_000);
    return () => window.clearInterval(timer);
  }, [session]);
  useEffect(() => () => abort.current?.abort(), []);

  const expired = session?.expiresAt ? new Date(session.expiresAt).getTime() <= now : false;

  async function start(): Promise<void> {
    setSessionError(undefined);
    try {
      const { data } = await mint({ variables: { teamId: chosenTeam || null, minutes } });
      const payload = data?.createPlaygroundKey;
      if (!payload?.secret) {
        setSessionError(payload?.errors.map((e) => e.message).join(" ") || "No key was minted.");
        return;
      }
      const models = await listModels(payload.secret);
      setSession({ secret: payload.secret, expiresAt: payload.key?.expiresAt ?? null, models });
      setModel((current) => (models.includes(current) ? current : (models[0] ?? "")));
      setNow(Date.now());
    } catch (e) {
      setSessionError(errorMessage(e));
    }
  }

  function end(): void {
    abort.current?.abort();
    setSession(null);
    setMessages([]);
  }

  async function send(event: FormEvent): Promise<void> {
    event.preventDefault();
    const text = draft.trim();
    if (!session || !text || !model || streaming) return;
    const history = [...messages.filter((m) => !m.error), { role: "user" as const, content: text }];
    setMessages([...history, { role: "assistant", content: "" }]);
    setDraft("");
    setStreaming(true);
    const controller = new AbortController();
    abort.current = controller;
    const started = performance.now();
    let first: number | null = null;
    const update = (change: (last: ChatMessage) => ChatMessage) =>
      setMessages((current) => [...current.slice(0, -1), change(current[current.length - 1] as ChatMessage)]);
    try {
      const result = await streamChat({
        secret: session.secret,
        model,
        messages: history.map(({ role, content }) => ({ role, content })),
        signal: controller.signal,
        onToken: (token) => {
          if (first === null) first = performance.now() - started;
          update((last) => ({ ...last, content: last.content + token }));
        },
      });
      update((last) => ({
        ...last,
        timings: { firstTokenMs: result.firstTokenMs, totalMs: result.totalMs, completionTokens: result.usage?.completion_tokens },
      }));
    } catch (e) {
      if (controller.signal.aborted) {
        update((last) => ({ ...last, timings: { firstTokenMs: first, totalMs: performance.now() - started, stopped: true } }));
      } else {
        update((last) => ({ ...last, error: errorMessage(e) }));
      }
    } finally {
      setStreaming(false);
      abort.current = null;
    }
  }

  return (
    <div className="space-y-4">
      <div>
        <h1 className="text-2xl font-semibold">Playground</h1>
        <p className="mt-1 text-sm text-slate-600 dark:text-slate-400">
          Chat with a model through the gateway's OpenAI API using a short-lived key minted for you. The key stays in this page only and
          its calls count in spend like any key's.
        </p>
      </div>
      <Card title="Session">
        {teamsQuery.error && <ErrorState message={errorMessage(teamsQuery.error)} onRetry={() => void teamsQuery.refetch()} />}
        {!session ? (
          <div className="flex flex-wrap items-end gap-3">
            {(admin || teams.length > 0) && (
              <SelectField label="Team" className="w-64" value={chosenTeam} onChange={(e) => setTeamId(e.target.value)}>
                {admin && <option value="">No team</option>}
                {teams.map((t) => (
                  <option key={t.id} value={t.id}>
                    {t.label}
                  </option>
                ))}
              </SelectField>
            )}
            <SelectField label="Key lifetime" className="w-36" value={String(minutes)} onChange={(e) => setMinutes(Number(e.target.value))}>
              {MINUTES.map((m) => (
                <option key={m} value={m}>
                  {m} minutes
                </option>
              ))}
            </SelectField>
            <Button onClick={() => void start()} disabled={minting.loading || (!admin && teams.length === 0)}>
              {minting.loading ? "Starting…" : "Start a session"}
            </Button>
          </div>
        ) : (
          <div className="flex flex-wrap items-center justify-between gap-3 text-sm">
            <span>
              {expired ? "The session's key has expired." : `A key valid until ${formatDateTime(session.expiresAt)} is in use.`}
            </span>
            <div className="flex gap-2">
              {expired && <Button size="sm" onClick={() => { end(); }}>Start again</Button>}
              <Button variant="secondary" size="sm" onClick={end}>
                End session
              </Button>
            </div>
          </div>
        )}
        {!admin && !session && teamsQuery.data && teams.length === 0 && (
          <Alert tone="info" className="mt-3">
            Playground keys belong to a team, and you are in none yet: ask an organization administrator to add you to one.
          </Alert>
        )}
        {sessionError && <Alert tone="error" className="mt-3">{sessionError}</Alert>}
      </Card>
      {session && (
        <Card title="Chat">
          {session.models.length === 0 ? (
            <Alert tone="warning">This key may call no model: ask an administrator to add a model group.</Alert>
          ) : (
            <div className="space-y-4">
              <SelectField label="Model" className="w-64" value={model} onChange={(e) => setModel(e.target.value)} disabled={streaming}>
                {session.models.map((m) => (
                  <option key={m} value={m}>
                    {m}
                  </option>
                ))}
              </SelectField>
              <div className="max-h-[28rem] min-h-24 overflow-y-auto rounded-md border border-slate-200 bg-slate-50 p-3 dark:border-slate-700 dark:bg-slate-950">
                <ChatTranscript messages={messages} streaming={streaming} />
              </div>
              <form onSubmit={(e) => void send(e)} className="space-y-2">
                <label htmlFor="playground-message" className="block text-sm font-medium">
                  Message
                </label>
                <textarea
                  id="playground-message"
                  rows={3}
                  className={cn(inputClass, "resize-y")}
                  value={draft}
                  disabled={expired}
                  onChange={(e) => setDraft(e.target.value)}
                  onKeyDown={(e) => {
                    if (e.key === "Enter" && !e.shiftKey) {
                      e.preventDefault();
                      e.currentTarget.form?.requestSubmit();
                    }
                  }}
                />
                <div className="flex items-center gap-2">
                  <Button type="submit" disabled={streaming || expired || !draft.trim()}>
                    Send
                  </Button>
                  {streaming && (
                    <>
                      <Button variant="secondary" onClick={() => abort.current?.abort()}>
                        Stop
                      </Button>
                      <Spinner label="Streaming" />
                    </>
                  )}
                  <span className="text-xs text-slate-600 dark:text-slate-400">Enter sends; Shift+Enter adds a line.</span>
                </div>
              </form>
            </div>
          )}
        </Card>
      )}
    </div>
  );
}
