import { useCallback, useState } from "react";

/** Page-by-page navigation over a Relay connection: a stack of `after` cursors. */
export function useCursorPages(): {
  after: string | null;
  page: number;
  next: (endCursor: string | null) => void;
  previous: () => void;
  reset: () => void;
} {
  const [cursors, setCursors] = useState<Array<string | null>>([null]);
  return {
    after: cursors[cursors.length - 1] ?? null,
    page: cursors.length,
    next: useCallback((endCursor: string | null) => setCursors((c) => [...c, endCursor]), []),
    previous: useCallback(() => setCursors((c) => (c.length > 1 ? c.slice(0, -1) : c)), []),
    reset: useCallback(() => setCursors([null]), []),
  };
}
