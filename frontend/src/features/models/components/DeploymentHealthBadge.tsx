import { Badge } from "../../../components/ui/States";
import type { DeploymentFieldsFragment } from "../../../gql/graphql";
import { formatDateTime } from "../../../lib/format";

type Health = DeploymentFieldsFragment["health"];

/** Healthy, cooling down, failing or not probed yet, with the last error underneath. */
export function DeploymentHealthBadge({ health }: { health: Health }) {
  if (!health) return <Badge>Not loaded</Badge>;
  return (
    <div className="min-w-0 space-y-1">
      {health.coolingDownUntil ? (
        <Badge tone="amber">Cooling down until {formatDateTime(health.coolingDownUntil)}</Badge>
      ) : health.healthy === true ? (
        <Badge tone="green">Healthy</Badge>
      ) : health.healthy === false ? (
        <Badge tone="red">Unhealthy</Badge>
      ) : (
        <Badge>Not probed</Badge>
      )}
      {health.error && (
        <p className="line-clamp-2 text-xs break-words text-red-800 dark:text-red-300" title={health.error}>
          {health.error}
        </p>
      )}
    </div>
  );
}
