// The Guardrails list's short account of each policy.
import { GuardrailKind, GuardrailOnFlagged, PiiAction, type GuardrailFieldsFragment } from "../../gql/graphql";

/** A line for the list: what the policy checks, in short. */
export function guardrailSummary(policy: GuardrailFieldsFragment): string {
  if (policy.guardrail === GuardrailKind.Presidio) {
    const parts = [policy.piiEntities.length > 0 ? policy.piiEntities.map((r) => `${r.entity} ${r.action.toLowerCase()}`).join(", ") : "no entity"];
    if (policy.adHocRecognizers.length > 0) parts.push(`${policy.adHocRecognizers.length} custom recognizer(s)`);
    return parts.join(" · ");
  }
  if (policy.guardrail === GuardrailKind.Keywords) {
    const words = policy.keywords.slice(0, 3).join(", ") + (policy.keywords.length > 3 ? ` +${policy.keywords.length - 3}` : "");
    const parts = [policy.keywordAction === PiiAction.Mask ? "mask" : "block"];
    if (policy.keywords.length > 0) parts.push(words);
    if (policy.patterns.length > 0) parts.push(`${policy.patterns.length} pattern(s)`);
    return parts.join(" · ");
  }
  const parts = [policy.apiBase ?? "default API base", policy.hasApiKey ? "key stored" : "no key"];
  if (policy.threshold !== null) parts.push(`threshold ${policy.threshold}`);
  if (policy.onFlagged === GuardrailOnFlagged.Monitor) parts.push("monitor only");
  return parts.join(" · ");
}
