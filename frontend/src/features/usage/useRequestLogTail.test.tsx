import { ApolloClient, ApolloLink, InMemoryCache } from "@apollo/client";
import { ApolloProvider } from "@apollo/client/react";
import { act, renderHook } from "@testing-library/react";
import type { ReactNode } from "react";
import { Observable } from "rxjs";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import type { RequestLogFilter } from "../../gql/graphql";
import { useRequestLogTail } from "./useRequestLogTail";

function log(requestId: string) {
  return {
    __typename: "RequestLog",
    requestId,
    keyId: "k1",
    userId: null,
    teamId: null,
    orgId: null,
    endUser: null,
    modelGroup: "demo",
    deploymentId: null,
    provider: "demo",
    callType: "chat_completions",
    promptTokens: 1,
    completionTokens: 2,
    cachedTokens: 0,
    cost: "0",
    latencyMs: 5,
    ttftMs: null,
    status: "ok",
    statusCode: 200,
    tags: [],
    startedAt: "2026-12-02T10:00:00Z",
  };
}

type Answer = { cursor: string; hasMore?: boolean; logs?: string[] };

/** An Apollo client whose server answers polls from `answers` in order and records each call. */
function mockedServer(answers: Answer[]) {
  const calls: Array<Record<string, unknown>> = [];
  const link = new ApolloLink(
    (operation) =>
      new Observable((observer) => {
        calls.push(operation.variables);
        const answer = answers.shift() ?? { cursor: "c-end" };
        observer.next({
          data: {
            requestLogTail: {
              __typename: "RequestLogTail",
              cursor: answer.cursor,
              hasMore: answer.hasMore ?? false,
              logs: (answer.logs ?? []).map(log),
            },
          },
        });
        observer.complete();
      }),
  );
  const client = new ApolloClient({ link, cache: new InMemoryCache() });
  const wrapper = ({ children }: { children: ReactNode }) => <ApolloProvider client={client}>{children}</ApolloProvider>;
  return { calls, wrapper };
}

const FILTER: RequestLogFilter = { modelGroup: "demo", keyId: "k1", status: "ok", start: "2026-12-01T00:00:00.000Z", end: null };

async function tick(ms: number): Promise<void> {
  await act(async () => {
    await vi.advanceTimersByTimeAsync(ms);
  });
}

describe("useRequestLogTail", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("takes the cursor first, then prepends what each poll brings, newest first", async () => {
    const server = mockedServer([
      { cursor: "c1", logs: ["already-in-the-table"] },
      { cursor: "c2", logs: ["r1", "r2"] },
      { cursor: "c3", logs: [] },
      { cursor: "c4", logs: ["r3"] },
    ]);
    const { result } = renderHook(() => useRequestLogTail(true, FILTER, 1000), { wrapper: server.wrapper });
    await tick(0);
    expect(result.current.rows).toEqual([]);
    await tick(1000);
    expect(result.current.rows.map((r) => r.requestId)).toEqual(["r2", "r1"]);
    await tick(1000);
    await tick(1000);
    expect(result.current.rows.map((r) => r.requestId)).toEqual(["r3", "r2", "r1"]);
    expect(server.calls.map((c) => c["after"])).toEqual([null, "c1", "c2", "c3"]);
  });

  it("passes the table's filters on every poll", async () => {
    const server = mockedServer([{ cursor: "c1" }, { cursor: "c2" }]);
    renderHook(() => useRequestLogTail(true, FILTER, 1000), { wrapper: server.wrapper });
    await tick(0);
    await tick(1000);
    expect(server.calls).toHaveLength(2);
    for (const call of server.calls) expect(call["filter"]).toEqual(FILTER);
  });

  it("polls again at once while the server says there is more", async () => {
    const server = mockedServer([{ cursor: "c1" }, { cursor: "c2", hasMore: true, logs: ["a"] }, { cursor: "c3", logs: ["b"] }]);
    const { result } = renderHook(() => useRequestLogTail(true, FILTER, 1000), { wrapper: server.wrapper });
    await tick(0);
    await tick(1000);
    // The immediate poll's timer fires, then its answer arrives: well before the next interval.
    await tick(1);
    await tick(1);
    expect(result.current.rows.map((r) => r.requestId)).toEqual(["b", "a"]);
    expect(server.calls).toHaveLength(3);
  });

  it("stops polling when turned off, and does not poll while off", async () => {
    const server = mockedServer([{ cursor: "c1" }, { cursor: "c2", logs: ["r1"] }]);
    const { result, rerender } = renderHook(({ live }) => useRequestLogTail(live, FILTER, 1000), {
      wrapper: server.wrapper,
      initialProps: { live: false },
    });
    await tick(5000);
    expect(server.calls).toHaveLength(0);
    rerender({ live: true });
    await tick(0);
    await tick(1000);
    expect(result.current.rows.map((r) => r.requestId)).toEqual(["r1"]);
    rerender({ live: false });
    await tick(10_000);
    expect(server.calls).toHaveLength(2);
    expect(result.current.active).toBe(false);
  });

  it("pauses while the tab is hidden", async () => {
    const server = mockedServer([{ cursor: "c1" }, { cursor: "c2" }, { cursor: "c3" }]);
    const state = vi.spyOn(document, "visibilityState", "get").mockReturnValue("visible");
    const { result } = renderHook(() => useRequestLogTail(true, FILTER, 1000), { wrapper: server.wrapper });
    await tick(0);
    state.mockReturnValue("hidden");
    act(() => {
      document.dispatchEvent(new Event("visibilitychange"));
    });
    await tick(10_000);
    expect(server.calls).toHaveLength(1);
    expect(result.current.active).toBe(false);
    state.mockReturnValue("visible");
    act(() => {
      document.dispatchEvent(new Event("visibilitychange"));
    });
    await tick(0);
    expect(server.calls.map((c) => c["after"])).toEqual([null, "c1"]);
    state.mockRestore();
  });
});
