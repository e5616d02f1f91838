import { describe, expect, it, vi } from "vitest";

import { parseChatEvent, SseParser, streamChat } from "./sse";

function chunk(content: string): string {
  return `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content } }] })}\n\n`;
}

function streamOf(pieces: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const piece of pieces) controller.enqueue(encoder.encode(piece));
      controller.close();
    },
  });
}

describe("SSE parsing", () => {
  it("joins events split across chunks and ignores comments and other fields", () => {
    const parser = new SseParser();
    const whole = `${chunk("You ")}: keep-alive\n\n${chunk("said")}event: x\r\ndata: [DONE]\r\n\r\n`;
    const events = [whole.slice(0, 7), whole.slice(7, 40), whole.slice(40)].flatMap((part) => parser.push(part));
    expect(events.map(parseChatEvent)).toEqual([
      { content: "You ", done: false },
      { content: "said", done: false },
      { content: "", done: true },
    ]);
  });

  it("joins multi-line data and keeps the last partial event for later", () => {
    const parser = new SseParser();
    expect(parser.push("data: a\ndata: b\n\ndata: c")).toEqual(["a\nb"]);
    expect(parser.push("\n\n")).toEqual(["c"]);
  });

  it("reads usage and errors from events", () => {
    expect(parseChatEvent(JSON.stringify({ choices: [], usage: { completion_tokens: 4 } }))).toEqual({
      content: "",
      done: false,
      usage: { completion_tokens: 4 },
    });
    expect(parseChatEvent(JSON.stringify({ error: { message: "budget exceeded" } })).error).toBe("budget exceeded");
  });
});

describe("streamChat", () => {
  it("hands over each token as it arrives and measures time to first token", async () => {
    let clock = 0;
    const fetchImpl = vi.fn(async () => new Response(streamOf([chunk("You said: "), chunk("hi"), "data: [DONE]\n\n"])));
    const tokens: string[] = [];
    const result = await streamChat({
      secret: "sk-test",
      model: "demo",
      messages: [{ role: "user", content: "hi" }],
      signal: new AbortController().signal,
      onToken: (t) => {
        tokens.push(t);
        clock += 10;
      },
      fetchImpl: fetchImpl as unknown as typeof fetch,
      now: () => clock,
    });
    expect(tokens).toEqual(["You said: ", "hi"]);
    expect(result.firstTokenMs).toBe(0);
    expect(result.totalMs).toBe(20);
    const [url, init] = fetchImpl.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe("/v1/chat/completions");
    expect(new Headers(init.headers).get("authorization")).toBe("Bearer sk-test");
    expect(JSON.parse(init.body as string)).toMatchObject({ model: "demo", stream: true });
  });

  it("reports the gateway's refusal", async () => {
    const fetchImpl = async () =>
      new Response(JSON.stringify({ error: { message: "Model not allowed for this key" } }), { status: 403 });
    await expect(
      streamChat({
        secret: "sk",
        model: "gpt-4o",
        messages: [],
        signal: new AbortController().signal,
        onToken: () => {},
        fetchImpl: fetchImpl as unknown as typeof fetch,
      }),
    ).rejects.toThrow("Model not allowed for this key");
  });
});
