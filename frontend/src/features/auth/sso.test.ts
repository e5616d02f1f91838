import { describe, expect, it } from "vitest";

import { ssoButtonLabel, ssoHref } from "./sso";

describe("single sign-on button", () => {
  it("carries the console page to return to", () => {
    expect(ssoHref("/")).toBe("/auth/login");
    expect(ssoHref("/keys/k1?x=1")).toBe("/auth/login?next=%2Fui%2Fkeys%2Fk1%3Fx%3D1");
  });

  it("names the provider when the gateway gives a label", () => {
    expect(ssoButtonLabel("Okta")).toBe("Sign in with Okta");
    expect(ssoButtonLabel(null)).toBe("Sign in with single sign-on");
    expect(ssoButtonLabel("  ")).toBe("Sign in with single sign-on");
  });
});
