import { describe, expect, it, vi } from "vitest";

import { ssoAvailable } from "./sso";

function answer(init: Partial<Response>): typeof fetch {
  return vi.fn(async () => init as Response) as unknown as typeof fetch;
}

describe("ssoAvailable", () => {
  it("is on when the sign-on route redirects to the provider", async () => {
    expect(await ssoAvailable(answer({ type: "opaqueredirect", status: 0 }))).toBe(true);
    expect(await ssoAvailable(answer({ type: "basic", status: 302 }))).toBe(true);
  });

  it("is off when the route answers 404 or the request fails", async () => {
    expect(await ssoAvailable(answer({ type: "basic", status: 404 }))).toBe(false);
    const failing = vi.fn(async () => {
      throw new TypeError("offline");
    }) as unknown as typeof fetch;
    expect(await ssoAvailable(failing)).toBe(false);
  });
});
