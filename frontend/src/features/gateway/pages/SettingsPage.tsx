import { useMutation, useQuery } from "@apollo/client/react";

import { Alert, ErrorState, LoadingState } from "../../../components/ui/States";
import { errorMessage } from "../../../lib/apollo";
import { canEditGateway } from "../../../lib/permissions";
import { useViewer } from "../../auth/viewer";
import { CacheSection, type FlushOutcome } from "../components/CacheSection";
import { HealthSection, RouterSection } from "../components/SettingsSections";
import { CACHE_FIELDS } from "../cacheForm";
import {
  FlushCacheMutation,
  GatewaySettingsQuery,
  UpdateCacheSettingsMutation,
  UpdateHealthCheckSettingsMutation,
  UpdateRouterSettingsMutation,
} from "../operations";
import { fieldErrors, type FormErrors } from "../settingsForm";

type Payload = { errors: ReadonlyArray<{ field: string | null; message: string }> } | undefined;

const ROUTER_FIELDS = ["routingStrategy", "numRetries", "timeout", "streamTimeout", "retryAfter", "allowedFails", "cooldownTime"];
const HEALTH_FIELDS = ["enabled", "interval", "timeout"];

async function outcome(send: () => Promise<Payload>, fields: string[]): Promise<FormErrors | null> {
  try {
    const payload = await send();
    if (!payload) return { form: "The settings were not saved." };
    return payload.errors.length > 0 ? fieldErrors(payload.errors, fields) : null;
  } catch (e) {
    return { form: errorMessage(e) };
  }
}

export default function SettingsPage() {
  const editable = canEditGateway(useViewer());
  const { data, error, loading, refetch } = useQuery(GatewaySettingsQuery);
  const refetchSettings = { refetchQueries: [GatewaySettingsQuery], awaitRefetchQueries: true };
  const [updateRouter] = useMutation(UpdateRouterSettingsMutation, refetchSettings);
  const [updateHealth] = useMutation(UpdateHealthCheckSettingsMutation, refetchSettings);
  const [updateCache] = useMutation(UpdateCacheSettingsMutation, refetchSettings);
  const [flushCache] = useMutation(FlushCacheMutation);
  const settings = data?.gatewaySettings;

  async function flush(): Promise<FlushOutcome> {
    try {
      const payload = (await flushCache()).data?.flushCache;
      if (!payload) return { error: "The cache was not flushed." };
      if (payload.errors.length > 0) return { error: payload.errors.map((e) => e.message).join(" ") };
      return { deleted: payload.deleted ?? -1 };
    } catch (e) {
      return { error: errorMessage(e) };
    }
  }

  return (
    <div className="space-y-4">
      <h1 className="text-2xl font-semibold">Settings</h1>
      {!editable && <Alert>Read only: platform administrators change the gateway's settings.</Alert>}
      {error && <ErrorState message={errorMessage(error)} onRetry={() => void refetch()} />}
      {loading && !data && <LoadingState label="Loading the settings" />}
      {settings && (
        <>
          <RouterSection
            current={settings.router}
            editable={editable}
            onSubmit={(input) => outcome(async () => (await updateRouter({ variables: { input } })).data?.updateRouterSettings, ROUTER_FIELDS)}
          />
          <HealthSection
            current={settings.healthChecks}
            editable={editable}
            onSubmit={(input) => outcome(async () => (await updateHealth({ variables: { input } })).data?.updateHealthCheckSettings, HEALTH_FIELDS)}
          />
          <CacheSection
            current={settings.cache}
            editable={editable}
            onSubmit={(input) => outcome(async () => (await updateCache({ variables: { input } })).data?.updateCacheSettings, CACHE_FIELDS)}
            onFlush={editable ? flush : undefined}
          />
        </>
      )}
    </div>
  );
}
