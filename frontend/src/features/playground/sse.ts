/** A server-sent-events parser for OpenAI-style streams: feed it text as it arrives. */
export class SseParser {
  private buffer = "";

  /** The `data:` payloads of every event completed by `chunk`, in order. */
  push(chunk: string): string[] {
    this.buffer += chunk;
    const events: string[] = [];
    // Events end at a blank line; lines may end in \n, \r\n or \r.
    const parts = this.buffer.split(/\r\n\r\n|\n\n|\r\r/);
    this.buffer = parts.pop() ?? "";
    for (const part of parts) {
      const data = part
        .split(/\r\n|\n|\r/)
        .filter((line) => line.startsWith("data:"))
        .map((line) => line.slice(5).replace(/^ /, ""));
      if (data.length > 0) events.push(data.join("\n"));
    }
    return events;
  }
}

export interface StreamDelta {
  content: string;
  done: boolean;
  usage?: { prompt_tokens?: number; completion_tokens?: number; total_tokens?: number };
  error?: string;
}

/** What one `data:` payload of a chat completion stream adds. */
export function parseChatEvent(data: string): StreamDelta {
  if (data.trim() === "[DONE]") return { content: "", done: true };
  let event: unknown;
  try {
    event = JSON.parse(data);
  } catch {
    return { content: "", done: false };
  }
  const body = event as {
    choices?: Array<{ delta?: { content?: string | null } }>;
    usage?: StreamDelta["usage"] | null;
    error?: { message?: string };
  };
  const content = (body.choices ?? []).map((c) => c.delta?.content ?? "").join("");
  return {
    content,
    done: false,
    ...(body.usage ? { usage: body.usage } : {}),
    ...(body.error ? { error: body.error.message ?? "The stream failed." } : {}),
  };
}

export interface StreamTimings {
  /** Milliseconds from sending to the first content token. */
  firstTokenMs: number | null;
  /** Milliseconds from sending to the end of the stream. */
  totalMs: number;
}

/**
 * Streams one chat completion from `/v1/chat/completions`, calling `onToken` with each piece of
 * text as it arrives. Rejects with an AbortError when `signal` aborts.
 */
export async function streamChat({
  secret,
  model,
  messages,
  signal,
  onToken,
  fetchImpl = fetch,
  now = () => performance.now(),
}: {
  secret: string;
  model: string;
  messages: Array<{ role: string; content: string }>;
  signal: AbortSignal;
  onToken: (text: string) => void;
  fetchImpl?: typeof fetch;
  now?: () => number;
}): Promise<StreamTimings & { usage?: StreamDelta["usage"] }> {
  const started = now();
  const response = await fetchImpl("/v1/chat/completions", {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${secret}` },
    body: JSON.stringify({ model, messages, stream: true, stream_options: { include_usage: true } }),
    signal,
  });
  if (!response.ok || !response.body) {
    let message = `The gateway answered ${response.status}.`;
    try {
      const body = (await response.json()) as { error?: { message?: string } };
      if (body.error?.message) message = body.error.message;
    } catch {
      // Not JSON: keep the status.
    }
    throw new Error(message);
  }
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  const parser = new SseParser();
  let firstTokenMs: number | null = null;
  let usage: StreamDelta["usage"];
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    for (const data of parser.push(value)) {
      const delta = parseChatEvent(data);
      if (delta.error) throw new Error(delta.error);
      if (delta.usage) usage = delta.usage;
      if (delta.content) {
        if (firstTokenMs === null) firstTokenMs = now() - started;
        onToken(delta.content);
      }
    }
  }
  return { firstTokenMs, totalMs: now() - started, ...(usage ? { usage } : {}) };
}

/** The model ids the key may call, from `/v1/models`. */
export async function listModels(secret: string, fetchImpl: typeof fetch = fetch): Promise<string[]> {
  const response = await fetchImpl("/v1/models", { headers: { authorization: `Bearer ${secret}` } });
  if (!response.ok) throw new Error(`The models could not be listed (${response.status}).`);
  const body = (await response.json()) as { data?: Array<{ id: string }> };
  return (body.data ?? []).map((m) => m.id).sort();
}
