import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import { RequestDetail } from "./RequestDetail";
import type { RequestLogRow } from "./RequestLogTable";

function row(overrides: Partial<RequestLogRow> = {}): RequestLogRow {
  return {
    __typename: "RequestLog",
    requestId: "req-1",
    keyId: "k1",
    userId: null,
    teamId: null,
    orgId: null,
    endUser: null,
    modelGroup: "demo",
    deploymentId: null,
    provider: null,
    callType: "chat",
    promptTokens: 9,
    completionTokens: 0,
    cachedTokens: 0,
    cost: "0",
    latencyMs: 12,
    ttftMs: null,
    status: "error",
    statusCode: 400,
    errorMessage: null,
    tags: [],
    startedAt: "2026-03-10T12:00:00Z",
    ...overrides,
  } as RequestLogRow;
}

describe("request detail", () => {
  it("says why a failed call failed", () => {
    render(<RequestDetail row={row({ errorMessage: "openai: context_length_exceeded" })} utc />);
    expect(screen.getByText("Error")).toBeInTheDocument();
    expect(screen.getByText("openai: context_length_exceeded")).toBeInTheDocument();
  });

  it("shows no error line for a call without a message", () => {
    render(<RequestDetail row={row({ status: "ok", statusCode: 200 })} utc />);
    expect(screen.queryByText("Error")).not.toBeInTheDocument();
  });
});
