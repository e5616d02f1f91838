import { Badge } from "../../../components/ui/States";
import type { KeyFieldsFragment } from "../../../gql/graphql";

export function keyStatus(key: Pick<KeyFieldsFragment, "revoked" | "blocked" | "expiresAt">, now = new Date()) {
  if (key.revoked) return "revoked" as const;
  if (key.blocked) return "blocked" as const;
  if (key.expiresAt && new Date(key.expiresAt) <= now) return "expired" as const;
  return "active" as const;
}

export function KeyStatus({ keyRow }: { keyRow: KeyFieldsFragment }) {
  const status = keyStatus(keyRow);
  const tone = status === "active" ? "green" : status === "blocked" ? "amber" : "red";
  return <Badge tone={tone}>{status}</Badge>;
}
