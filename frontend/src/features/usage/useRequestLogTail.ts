import { useApolloClient } from "@apollo/client/react";
import { useEffect, useRef, useState } from "react";

import type { RequestLogFilter } from "../../gql/graphql";
import { errorMessage } from "../../lib/apollo";
import type { RequestLogRow } from "./components/RequestLogTable";
import { RequestLogTailQuery } from "./operations";

/** Rows kept on screen at most; older ones are in the paged table. */
export const TAIL_LIMIT = 200;
const PAGE = 100;

export interface RequestLogTail {
  /** Rows written since the tail started, newest first. */
  rows: RequestLogRow[];
  error: string | null;
  /** False while the tab is hidden (polling waits until it is shown again). */
  active: boolean;
}

/**
 * Polls `requestLogTail` every `intervalMs` while `live`, with the table's `filter` (the API
 * scopes it to what the viewer may see). The first poll only takes the cursor: the rows
 * already written are in the table. Later polls prepend what was written since. Polling
 * pauses while the tab is hidden and stops when `live` turns off; a new filter starts over.
 */
export function useRequestLogTail(live: boolean, filter: RequestLogFilter, intervalMs = 3000): RequestLogTail {
  const client = useApolloClient();
  const [rows, setRows] = useState<RequestLogRow[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [visible, setVisible] = useState(() => document.visibilityState !== "hidden");
  const cursor = useRef<string | null>(null);
  const key = JSON.stringify(filter);

  useEffect(() => {
    const onChange = () => setVisible(document.visibilityState !== "hidden");
    document.addEventListener("visibilitychange", onChange);
    return () => document.removeEventListener("visibilitychange", onChange);
  }, []);

  // A new filter, or turning the tail on, starts from "now".
  useEffect(() => {
    cursor.current = null;
    setRows([]);
    setError(null);
  }, [live, key]);

  useEffect(() => {
    if (!live || !visible) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const filterNow = JSON.parse(key) as RequestLogFilter;

    async function poll(): Promise<void> {
      let again = false;
      try {
        const starting = cursor.current === null;
        const { data } = await client.query({
          query: RequestLogTailQuery,
          variables: { after: cursor.current, filter: filterNow, first: starting ? 1 : PAGE },
          fetchPolicy: "no-cache",
        });
        if (stopped || !data) return;
        const tail = data.requestLogTail;
        cursor.current = tail.cursor;
        setError(null);
        if (!starting && tail.logs.length > 0) {
          const fresh = [...tail.logs].reverse();
          setRows((old) => [...fresh, ...old].slice(0, TAIL_LIMIT));
        }
        again = tail.hasMore && !starting;
      } catch (e) {
        if (stopped) return;
        setError(errorMessage(e));
      }
      if (!stopped) timer = setTimeout(() => void poll(), again ? 0 : intervalMs);
    }

    void poll();
    return () => {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
    };
  }, [client, live, visible, key, intervalMs]);

  return { rows, error, active: live && visible };
}
