import { useQuery } from "@apollo/client/react";

import { Button } from "../../../components/ui/Button";
import { Card, EmptyState, ErrorState, LoadingState } from "../../../components/ui/States";
import { errorMessage } from "../../../lib/apollo";
import { RouterDeploymentsQuery } from "../operations";
import { DeploymentHealthBadge } from "./DeploymentHealthBadge";

/** Every deployment the router serves now (config.yaml's too), with this instance's health view. */
export function RouterDeployments({
  onTest,
}: {
  /** Given to those who may test a deployment. */
  onTest?: ((deployment: { id: string; modelName: string }) => void) | undefined;
}) {
  const { data, error, loading, refetch } = useQuery(RouterDeploymentsQuery);
  const rows = data?.routerDeployments ?? [];
  return (
    <Card title="Served now">
      {error && <ErrorState message={errorMessage(error)} onRetry={() => void refetch()} />}
      {loading && !data && <LoadingState label="Loading the router's deployments" />}
      {data && rows.length === 0 && <EmptyState title="The router serves no deployment" />}
      {rows.length > 0 && (
        <div className="overflow-x-auto" tabIndex={0}>
          <table className="w-full min-w-[36rem] table-fixed text-sm" aria-label="Deployments the router serves">
            <thead className="text-left text-xs text-slate-600 uppercase dark:text-slate-300">
              <tr>
                <th scope="col" className="px-3 py-2 font-medium">Model name</th>
                <th scope="col" className="px-3 py-2 font-medium">Provider model</th>
                <th scope="col" className="w-24 px-3 py-2 font-medium">In flight</th>
                <th scope="col" className="w-56 px-3 py-2 font-medium">Health</th>
                {onTest && (
                  <th scope="col" className="w-20 px-3 py-2 font-medium">
                    <span className="sr-only">Actions</span>
                  </th>
                )}
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
              {rows.map((d) => (
                <tr key={d.id} className="align-top">
                  <td className="truncate px-3 py-2" title={d.modelName}>{d.modelName}</td>
                  <td className="truncate px-3 py-2 font-mono text-xs" title={d.model}>{d.model}</td>
                  <td className="px-3 py-2 tabular-nums">{d.health.inFlight}</td>
                  <td className="px-3 py-2">
                    <DeploymentHealthBadge health={d.health} />
                  </td>
                  {onTest && (
                    <td className="px-3 py-2">
                      <Button variant="secondary" size="sm" onClick={() => onTest(d)} aria-label={`Test served ${d.model} of ${d.modelName}`}>
                        Test
                      </Button>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Card>
  );
}
