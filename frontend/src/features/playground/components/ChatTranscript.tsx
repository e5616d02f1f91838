import { cn } from "../../../components/ui/cn";

export interface ChatMessage {
  role: "user" | "assistant";
  content: string;
  /** Set on an assistant message once its stream ends. */
  timings?: { firstTokenMs: number | null; totalMs: number; completionTokens?: number | undefined; stopped?: boolean };
  error?: string;
}

function ms(value: number | null): string {
  return value === null ? "—" : `${Math.round(value)} ms`;
}

/** The conversation; new text is announced politely as it streams. */
export function ChatTranscript({ messages, streaming }: { messages: ChatMessage[]; streaming: boolean }) {
  if (messages.length === 0) {
    return <p className="text-sm text-slate-600 dark:text-slate-400">Send a message to start the conversation.</p>;
  }
  return (
    <div role="log" aria-label="Conversation" aria-live="polite" aria-busy={streaming}>
    <ol className="space-y-3">
      {messages.map((m, i) => (
        <li key={i} className={cn("flex", m.role === "user" ? "justify-end" : "justify-start")}>
          <div
            className={cn(
              "max-w-[85%] rounded-lg px-3 py-2 text-sm whitespace-pre-wrap break-words",
              m.role === "user"
                ? "bg-indigo-600 text-white"
                : "border border-slate-200 bg-white text-slate-900 dark:border-slate-700 dark:bg-slate-800 dark:text-slate-100",
            )}
          >
            <span className="sr-only">{m.role === "user" ? "You: " : "Model: "}</span>
            {m.content || (m.role === "assistant" && !m.error && streaming && i === messages.length - 1 ? "…" : "")}
            {m.error && <p className="mt-1 text-red-700 dark:text-red-300">{m.error}</p>}
            {m.timings && (
              <p className="mt-1 text-xs text-slate-600 dark:text-slate-300" aria-label="Timings">
                Time to first token {ms(m.timings.firstTokenMs)} · latency {ms(m.timings.totalMs)}
                {m.timings.completionTokens !== undefined && <> · {m.timings.completionTokens} tokens</>}
                {m.timings.stopped && <> · stopped</>}
              </p>
            )}
          </div>
        </li>
      ))}
    </ol>
    </div>
  );
}
