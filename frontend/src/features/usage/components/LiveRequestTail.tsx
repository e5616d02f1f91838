import { useApolloClient } from "@apollo/client/react";
import { useState } from "react";

import { Alert } from "../../../components/ui/States";
import type { RequestLogFilter } from "../../../gql/graphql";
import { RequestLogsQuery } from "../operations";
import { useRequestLogTail } from "../useRequestLogTail";
import { RequestLogTable, type RequestLogRow } from "./RequestLogTable";

/** The "Live" switch over the request log and the requests written since it was turned on. */
export function LiveRequestTail({
  filter,
  utc,
  onOpen,
}: {
  filter: RequestLogFilter;
  utc: boolean;
  onOpen: (row: RequestLogRow) => void;
}) {
  const [live, setLive] = useState(false);
  const tail = useRequestLogTail(live, filter);
  const client = useApolloClient();

  function toggle(on: boolean): void {
    setLive(on);
    // The paged table takes in what the tail showed once the tail stops.
    if (!on) void client.refetchQueries({ include: [RequestLogsQuery] });
  }
  return (
    <div className="space-y-2">
      <label className="inline-flex items-center gap-2 text-sm font-medium">
        <input type="checkbox" role="switch" checked={live} onChange={(e) => toggle(e.target.checked)} />
        Live
      </label>
      {live && (
        <section aria-label="Live requests" className="space-y-2">
          <p role="status" className="text-sm text-slate-600 dark:text-slate-400">
            {!tail.active
              ? "Paused while this tab is hidden."
              : tail.rows.length === 0
                ? "Waiting for new requests…"
                : `${tail.rows.length} new ${tail.rows.length === 1 ? "request" : "requests"} since the tail started.`}
          </p>
          {tail.error && <Alert tone="error">{tail.error}</Alert>}
          {tail.rows.length > 0 && <RequestLogTable rows={tail.rows} utc={utc} onOpen={onOpen} />}
        </section>
      )}
    </div>
  );
}
