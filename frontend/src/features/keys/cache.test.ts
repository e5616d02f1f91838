import { InMemoryCache } from "@apollo/client";
import { describe, expect, it } from "vitest";

import { key } from "../../test/fixtures";
import { prependKey } from "./cache";
import { KeyFieldsFragment, KeysQuery } from "./operations";

function page(variables: Record<string, unknown>, ids: string[]) {
  return {
    query: KeysQuery,
    variables: { first: 20, after: null, search: null, teamId: null, userId: null, includeRevoked: false, ...variables },
    data: {
      keys: {
        __typename: "VirtualKeyConnection" as const,
        totalCount: ids.length,
        pageInfo: { __typename: "PageInfo" as const, hasNextPage: false, endCursor: null },
        edges: ids.map((id) => ({ __typename: "VirtualKeyEdge" as const, cursor: id, node: key({ id, alias: id }) })),
      },
    },
  };
}

describe("prependKey", () => {
  it("puts a new key at the top of first pages, not of later or searched ones", () => {
    const cache = new InMemoryCache();
    const first = page({}, ["old"]);
    const later = page({ after: "c1" }, ["older"]);
    const searched = page({ search: "old" }, ["old"]);
    for (const p of [first, later, searched]) cache.writeQuery(p);

    const created = key({ id: "new", alias: "new" });
    // As the mutation's answer does: the key is in the cache, but on no list yet.
    cache.writeFragment({ fragment: KeyFieldsFragment, data: created });
    prependKey(cache, created);

    const read = (p: ReturnType<typeof page>) =>
      cache.readQuery({ query: KeysQuery, variables: p.variables })?.keys;
    expect(read(first)?.edges.map((e) => e.node.id)).toEqual(["new", "old"]);
    expect(read(first)?.totalCount).toBe(2);
    expect(read(later)?.edges.map((e) => e.node.id)).toEqual(["older"]);
    expect(read(searched)?.edges.map((e) => e.node.id)).toEqual(["old"]);
  });
});
