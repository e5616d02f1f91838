import { describe, expect, it } from "vitest";

import { diffFields } from "./diff";

describe("diffFields", () => {
  it("lists only the fields that changed, added or removed", () => {
    expect(
      diffFields({ alias: "a", rpm: 10, models: ["x"], gone: 1 }, { alias: "b", rpm: 10, models: ["x", "y"], added: true }),
    ).toEqual([
      { field: "added", before: undefined, after: true },
      { field: "alias", before: "a", after: "b" },
      { field: "gone", before: 1, after: undefined },
      { field: "models", before: ["x"], after: ["x", "y"] },
    ]);
  });

  it("treats a missing side as empty", () => {
    expect(diffFields(null, { id: "k1" })).toEqual([{ field: "id", before: undefined, after: "k1" }]);
  });
});
