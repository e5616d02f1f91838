import { describe, expect, it } from "vitest";

import { periodFrom } from "./period";

const NOW = new Date("2026-12-02T15:30:00Z");

describe("periodFrom", () => {
  it("defaults to the last 7 UTC days, today included", () => {
    const p = periodFrom(new URLSearchParams(), NOW);
    expect(p).toMatchObject({ kind: "7d", start: "2026-11-26", end: "2026-12-02" });
    expect(p.startAt).toBe("2026-11-26T00:00:00.000Z");
    expect(p.endAt).toBe("2026-12-02T23:59:59.999Z");
  });

  it.each([
    ["UTC", "2026-12-01T16:00:00.000Z", "2026-12-02T16:00:00.000Z"],
    // 15:30 UTC is 21:00 in India (UTC+5:30): its hours start at half past in UTC.
    ["Asia/Kolkata", "2026-12-01T16:30:00.000Z", "2026-12-02T16:30:00.000Z"],
  ])("covers the last 24 local hours in %s, and yesterday and today for daily figures", (zone, from, until) => {
    const before = process.env.TZ;
    process.env.TZ = zone;
    try {
      const p = periodFrom(new URLSearchParams("period=24h"), NOW);
      expect(p).toMatchObject({ start: "2026-12-01", end: "2026-12-02", hourly: true, from, until });
    } finally {
      if (before === undefined) delete process.env.TZ;
      else process.env.TZ = before;
    }
  });

  it("gives day periods the instants of their days, the day after excluded", () => {
    const p = periodFrom(new URLSearchParams("period=7d"), NOW);
    expect(p).toMatchObject({ hourly: false, from: "2026-11-26T00:00:00.000Z", until: "2026-12-03T00:00:00.000Z" });
  });

  it("spans 30 days for 30d", () => {
    expect(periodFrom(new URLSearchParams("period=30d"), NOW)).toMatchObject({ start: "2026-11-03", end: "2026-12-02" });
  });

  it("takes a custom range of days from the URL", () => {
    const p = periodFrom(new URLSearchParams("period=custom&from=2026-10-01&to=2026-10-31"), NOW);
    expect(p).toMatchObject({ kind: "custom", start: "2026-10-01", end: "2026-10-31" });
    expect(p.endAt).toBe("2026-10-31T23:59:59.999Z");
  });

  it("falls back to 7 days for a reversed or malformed custom range and unknown presets", () => {
    expect(periodFrom(new URLSearchParams("period=custom&from=2026-10-31&to=2026-10-01"), NOW).kind).toBe("7d");
    expect(periodFrom(new URLSearchParams("period=custom&from=yesterday&to=2026-10-01"), NOW).kind).toBe("7d");
    expect(periodFrom(new URLSearchParams("period=1y"), NOW).kind).toBe("7d");
  });
});
