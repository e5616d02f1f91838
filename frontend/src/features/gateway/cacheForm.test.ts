import { describe, expect, it } from "vitest";

import { CacheMode, CacheScope, CacheType, type CacheFieldsFragment } from "../../gql/graphql";
import { cacheChoices, cacheInput, checkCacheChoices } from "./cacheForm";
import { numberText } from "./settingsForm";

const CURRENT: CacheFieldsFragment = {
  enabled: true,
  type: CacheType.S3,
  ttl: 600,
  namespace: "ns",
  maxEntryBytes: 1_048_576,
  callTypes: ["chat_completions"],
  mode: CacheMode.DefaultOn,
  scope: CacheScope.Org,
  chargeHits: false,
  maxSizeBytes: 67_108_864,
  s3BucketName: "answers",
  s3RegionName: "eu-west-1",
  s3EndpointUrl: null,
  s3HasCredentials: true,
  overridden: false,
};
const NUMBERS = { ttl: "600", maxEntryBytes: "1048576", maxSizeBytes: numberText(CURRENT.maxSizeBytes) };

describe("cacheInput", () => {
  it("sends nothing when nothing changed", () => {
    expect(cacheInput(NUMBERS, cacheChoices(CURRENT), CURRENT)).toEqual({});
  });

  it("sends the changed choices, numbers and emptied text as null", () => {
    const choices = { ...cacheChoices(CURRENT), mode: CacheMode.DefaultOff, scope: CacheScope.Team, chargeHits: true, s3RegionName: " ", s3EndpointUrl: "https://s3.example.com" };
    expect(cacheInput({ ...NUMBERS, maxSizeBytes: "2097152" }, choices, CURRENT)).toEqual({
      mode: CacheMode.DefaultOff,
      scope: CacheScope.Team,
      chargeHits: true,
      maxSizeBytes: 2_097_152,
      s3RegionName: null,
      s3EndpointUrl: "https://s3.example.com",
    });
  });
});

describe("checkCacheChoices", () => {
  it("refuses a bad bucket, region and endpoint", () => {
    const errors = checkCacheChoices({ ...cacheChoices(CURRENT), s3BucketName: "Bad_Bucket", s3RegionName: "EU WEST", s3EndpointUrl: "s3.example.com" });
    expect(Object.keys(errors).sort()).toEqual(["s3BucketName", "s3EndpointUrl", "s3RegionName"]);
  });
});
