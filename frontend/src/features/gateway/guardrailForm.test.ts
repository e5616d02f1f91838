import { describe, expect, it } from "vitest";

import {
  GuardrailFallback,
  GuardrailKind,
  GuardrailMode,
  GuardrailOnFlagged,
  PiiAction,
  SettingSource,
  type GuardrailFieldsFragment,
} from "../../gql/graphql";
import { EMPTY_GUARDRAIL_FORM, formFromGuardrail, guardrailInput, validateGuardrail } from "./guardrailForm";
import { guardrailSummary } from "./guardrailSummary";

const STORED: GuardrailFieldsFragment = {
  name: "pii",
  guardrail: GuardrailKind.Presidio,
  mode: GuardrailMode.PreCall,
  defaultOn: true,
  piiEntities: [{ entity: "EMAIL_ADDRESS", action: PiiAction.Mask }],
  apiBase: null,
  hasApiKey: false,
  threshold: null,
  source: SettingSource.Database,
  scoreThresholds: [{ entity: "PERSON", score: 0.6 }],
  allowList: ["ACME"],
  adHocRecognizers: [
    { name: "ticket", supportedEntity: "TICKET", patterns: [{ name: "t", regex: "T-\\d+", score: 0.9 }], denyList: ["secret"] },
  ],
  outputParsePii: true,
  analyzerApiBase: "https://analyzer.example.com",
  anonymizerApiBase: null,
  language: "de",
  spacyModel: "de_core_news_lg",
  phoneRegions: ["DE", "AT"],
  keywords: ["kept"],
  patterns: [],
  keywordAction: PiiAction.Mask,
  onFlagged: GuardrailOnFlagged.Block,
  timeout: 3,
  unreachableFallback: GuardrailFallback.FailOpen,
  streamHold: true,
};

describe("guardrailInput on an edit", () => {
  it("sends back every stored field, the hidden ones included", () => {
    const input = guardrailInput(formFromGuardrail(STORED));
    expect(input).toEqual({
      name: "pii",
      guardrail: GuardrailKind.Presidio,
      mode: GuardrailMode.PreCall,
      defaultOn: true,
      piiEntities: [{ entity: "EMAIL_ADDRESS", action: PiiAction.Mask }],
      apiBase: null,
      threshold: null,
      scoreThresholds: [{ entity: "PERSON", score: 0.6 }],
      allowList: ["ACME"],
      adHocRecognizers: [{ name: "ticket", supportedEntity: "TICKET", patterns: [{ name: "t", regex: "T-\\d+", score: 0.9 }], denyList: ["secret"] }],
      outputParsePii: true,
      analyzerApiBase: "https://analyzer.example.com",
      anonymizerApiBase: null,
      language: "de",
      spacyModel: "de_core_news_lg",
      phoneRegions: ["DE", "AT"],
      keywords: ["kept"],
      patterns: [],
      keywordAction: PiiAction.Mask,
      onFlagged: GuardrailOnFlagged.Block,
      timeout: 3,
      unreachableFallback: GuardrailFallback.FailOpen,
      streamHold: true,
    });
  });

  it("overlays only what the form shows for the kind", () => {
    const values = { ...formFromGuardrail(STORED), allowList: "ACME\nGlobex", phoneRegions: "US, , GB", mode: GuardrailMode.DuringCall, streamHold: false };
    const input = guardrailInput(values);
    expect(input.allowList).toEqual(["ACME", "Globex"]);
    expect(input.phoneRegions).toEqual(["US", "GB"]);
    expect(input.adHocRecognizers).toHaveLength(1);
    // The stream hold applies after the call only: out of that mode the stored choice is kept.
    expect(input.streamHold).toBe(true);
  });

  it("builds a keyword policy from its lines", () => {
    const values = { ...EMPTY_GUARDRAIL_FORM, name: "words", guardrail: GuardrailKind.Keywords, keywords: "alpha\n\n beta ", patterns: "\\bsk-[a-z]+", keywordAction: PiiAction.Mask };
    expect(validateGuardrail(values)).toEqual({});
    expect(guardrailInput(values)).toMatchObject({ keywords: ["alpha", "beta"], patterns: ["\\bsk-[a-z]+"], keywordAction: PiiAction.Mask });
    expect(guardrailInput(values)).not.toHaveProperty("piiEntities");
  });
});

describe("validateGuardrail", () => {
  it("refuses an empty keyword policy and a pattern that is no regular expression", () => {
    const values = { ...EMPTY_GUARDRAIL_FORM, name: "words", guardrail: GuardrailKind.Keywords };
    expect(validateGuardrail(values).keywords).toBe("At least one keyword or pattern.");
    expect(validateGuardrail({ ...values, patterns: "(unclosed" }).patterns).toBe("Not a regular expression: (unclosed");
  });

  it("checks Presidio's score lines and service URLs, and a remote timeout", () => {
    const errors = validateGuardrail({ ...EMPTY_GUARDRAIL_FORM, name: "p", scoreThresholds: "PERSON 2", analyzerApiBase: "ftp://x", timeout: "0" });
    expect(Object.keys(errors).sort()).toEqual(["analyzerApiBase", "scoreThresholds", "timeout"]);
  });
});

describe("guardrailSummary", () => {
  it("says what a keyword policy does", () => {
    const policy = { ...STORED, guardrail: GuardrailKind.Keywords, keywords: ["a", "b", "c", "d"], patterns: ["x"], keywordAction: PiiAction.Block };
    expect(guardrailSummary(policy)).toBe("block · a, b, c +1 · 1 pattern(s)");
  });
});
