import { isReference, type ApolloCache, type Reference } from "@apollo/client";

import type { KeyFieldsFragment } from "../../gql/graphql";

interface KeysArgs {
  after?: string | null;
  search?: string | null;
  teamId?: string | null;
  userId?: string | null;
}

function argsOf(storeFieldName: string): KeysArgs {
  const open = storeFieldName.indexOf("(");
  if (open < 0) return {};
  try {
    return JSON.parse(storeFieldName.slice(open + 1, -1)) as KeysArgs;
  } catch {
    return {};
  }
}

interface KeysConnection {
  totalCount?: number;
  edges: Array<{ __typename?: string; cursor: string; node: Reference }>;
}

/** Puts a just-created key at the top of every cached first page it belongs on. */
export function prependKey(cache: ApolloCache, key: KeyFieldsFragment): void {
  const ref = cache.identify({ __typename: "VirtualKey", id: key.id });
  if (!ref) return;
  cache.modify<{ keys: KeysConnection }>({
    fields: {
      keys(existing, { storeFieldName, toReference }) {
        if (isReference(existing)) return existing;
        const args = argsOf(storeFieldName);
        if (args.after || args.search || args.userId || (args.teamId && args.teamId !== key.teamId)) return existing;
        const node = toReference(ref);
        if (!node || existing.edges.some((e) => e.node.__ref === node.__ref)) return existing;
        return {
          ...existing,
          ...(existing.totalCount !== undefined ? { totalCount: existing.totalCount + 1 } : {}),
          edges: [{ __typename: "VirtualKeyEdge", cursor: "", node }, ...existing.edges],
        };
      },
    },
  });
}
