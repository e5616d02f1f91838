// The response cache form: its number fields, checks, and the changed values to send.
import { CacheMode, CacheScope, type CacheFieldsFragment, type CacheSettingsInput } from "../../gql/graphql";
import { changedNumbers, type FormErrors, type NumberSpec } from "./settingsForm";

export const CACHE_NUMBERS: NumberSpec[] = [
  { name: "ttl", label: "Time to live (s)", integer: true, min: 1, max: 2_592_000 },
  { name: "maxEntryBytes", label: "Largest entry (bytes)", integer: true, min: 1024, max: 67_108_864 },
  { name: "maxSizeBytes", label: "Memory bound (bytes)", integer: true, min: 1_048_576, max: 68_719_476_736, hint: "The in-memory backend only." },
];

export const CACHE_FIELDS = [
  "enabled", "type", "ttl", "namespace", "maxEntryBytes", "callTypes", "mode", "scope", "chargeHits",
  "maxSizeBytes", "s3BucketName", "s3RegionName", "s3EndpointUrl",
];

export const CACHE_MODE_LABELS: Record<CacheMode, string> = {
  [CacheMode.DefaultOn]: "Every eligible call (callers may opt out)",
  [CacheMode.DefaultOff]: "Only calls that ask for it",
};

export const CACHE_SCOPE_LABELS: Record<CacheScope, string> = {
  [CacheScope.Org]: "Within an organization",
  [CacheScope.Team]: "Within a team",
  [CacheScope.Key]: "Within a key",
  [CacheScope.Global]: "Across the whole gateway",
};

/** The controls other than numbers, as the form holds them. */
export type CacheChoices = Pick<CacheSettingsInput, "enabled" | "type" | "mode" | "scope" | "chargeHits"> & {
  namespace: string;
  callTypes: string[];
  s3BucketName: string;
  s3RegionName: string;
  s3EndpointUrl: string;
};

export function cacheChoices(current: CacheFieldsFragment): CacheChoices {
  return {
    enabled: current.enabled,
    type: current.type,
    mode: current.mode,
    scope: current.scope,
    chargeHits: current.chargeHits,
    namespace: current.namespace ?? "",
    callTypes: [...current.callTypes],
    s3BucketName: current.s3BucketName ?? "",
    s3RegionName: current.s3RegionName ?? "",
    s3EndpointUrl: current.s3EndpointUrl ?? "",
  };
}

const NAMESPACE = /^[A-Za-z0-9_.:-]{1,64}$/;
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const REGION = /^[a-z0-9-]{1,32}$/;

export function checkCacheChoices(choices: CacheChoices): FormErrors {
  const errors: FormErrors = {};
  const namespace = choices.namespace.trim();
  if (namespace && !NAMESPACE.test(namespace)) errors["namespace"] = "Up to 64 letters, digits and _ . : -";
  const bucket = choices.s3BucketName.trim();
  if (bucket && !BUCKET.test(bucket)) errors["s3BucketName"] = "3 to 63 lower-case letters, digits, dots and dashes.";
  const region = choices.s3RegionName.trim();
  if (region && !REGION.test(region)) errors["s3RegionName"] = "Like eu-west-1.";
  const endpoint = choices.s3EndpointUrl.trim();
  if (endpoint) {
    let ok = false;
    try {
      ok = ["http:", "https:"].includes(new URL(endpoint).protocol);
    } catch {
      ok = false;
    }
    if (!ok) errors["s3EndpointUrl"] = "An http(s) URL.";
  }
  return errors;
}

/** Only what differs from `current`; emptied text fields are sent as null. */
export function cacheInput(numbers: Record<string, string>, choices: CacheChoices, current: CacheFieldsFragment): CacheSettingsInput {
  const input: CacheSettingsInput = changedNumbers(CACHE_NUMBERS, numbers, current);
  for (const key of ["enabled", "type", "mode", "scope", "chargeHits"] as const) {
    if (choices[key] !== current[key]) Object.assign(input, { [key]: choices[key] });
  }
  for (const key of ["namespace", "s3BucketName", "s3RegionName", "s3EndpointUrl"] as const) {
    const text = choices[key].trim();
    if (text !== (current[key] ?? "")) input[key] = text || null;
  }
  if ([...choices.callTypes].sort().join() !== [...current.callTypes].sort().join()) input.callTypes = choices.callTypes;
  return input;
}
