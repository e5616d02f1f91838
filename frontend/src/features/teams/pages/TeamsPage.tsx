import { useQuery } from "@apollo/client/react";
import { useSearchParams } from "react-router";

import { SelectField } from "../../../components/ui/Field";
import { EmptyState, ErrorState, LoadingState } from "../../../components/ui/States";
import { errorMessage } from "../../../lib/apollo";
import { canManageOrg } from "../../../lib/permissions";
import { useViewer } from "../../auth/viewer";
import { OrgChoicesQuery } from "../operations";
import { TeamsSection } from "../components/TeamsSection";

/** The teams of one organization (chosen here; ?org=<id> keeps the choice in the address). */
export default function TeamsPage() {
  const viewer = useViewer();
  const [params, setParams] = useSearchParams();
  const { data, error, loading, refetch } = useQuery(OrgChoicesQuery);
  const orgs = data?.organizations.edges.map((e) => e.node) ?? [];
  const orgId = params.get("org") ?? orgs[0]?.id ?? "";

  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-end justify-between gap-3">
        <h1 className="text-2xl font-semibold">Teams</h1>
        {orgs.length > 0 && (
          <SelectField
            label="Organization"
            className="w-72"
            value={orgId}
            onChange={(e) => setParams({ org: e.target.value }, { replace: true })}
          >
            {orgs.map((o) => (
              <option key={o.id} value={o.id}>
                {o.name}
              </option>
            ))}
          </SelectField>
        )}
      </div>
      {error && <ErrorState message={errorMessage(error)} onRetry={() => void refetch()} />}
      {loading && !data && <LoadingState label="Loading organizations" />}
      {data && orgs.length === 0 && <EmptyState title="No organizations">Teams live inside an organization.</EmptyState>}
      {orgId && <TeamsSection key={orgId} orgId={orgId} canCreate={canManageOrg(viewer, orgId)} />}
    </div>
  );
}
