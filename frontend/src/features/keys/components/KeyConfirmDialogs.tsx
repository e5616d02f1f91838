import { useState } from "react";

import { Button } from "../../../components/ui/Button";
import { Dialog } from "../../../components/ui/Dialog";
import { SelectField } from "../../../components/ui/Field";
import type { KeyFieldsFragment } from "../../../gql/graphql";

const GRACE = [
  { seconds: 0, label: "None: the old secret stops now" },
  { seconds: 300, label: "5 minutes" },
  { seconds: 3600, label: "1 hour" },
  { seconds: 86_400, label: "24 hours" },
];

interface Props {
  keyRow: KeyFieldsFragment | null;
  busy: boolean;
  onCancel: () => void;
}

/** Confirms a regeneration and picks how long the old secret keeps working. */
export function RegenerateDialog({ keyRow, busy, onCancel, onConfirm }: Props & { onConfirm: (graceSeconds: number) => void }) {
  const [grace, setGrace] = useState(0);
  return (
    <Dialog
      open={keyRow !== null}
      onOpenChange={(o) => !o && onCancel()}
      title="Regenerate the key?"
      description="Callers must switch to the new secret. The old one can keep working for a grace period."
    >
      <div className="space-y-4">
        <SelectField label="Grace period for the old secret" value={String(grace)} onChange={(e) => setGrace(Number(e.target.value))}>
          {GRACE.map((g) => (
            <option key={g.seconds} value={g.seconds}>
              {g.label}
            </option>
          ))}
        </SelectField>
        <div className="flex justify-end gap-2">
          <Button variant="secondary" onClick={onCancel}>
            Cancel
          </Button>
          <Button onClick={() => onConfirm(grace)} disabled={busy}>
            {busy ? "Regenerating…" : "Regenerate"}
          </Button>
        </div>
      </div>
    </Dialog>
  );
}

/** Confirms a revocation, naming the key. */
export function RevokeDialog({ keyRow, busy, onCancel, onConfirm }: Props & { onConfirm: () => void }) {
  return (
    <Dialog
      open={keyRow !== null}
      onOpenChange={(o) => !o && onCancel()}
      title="Revoke the key?"
      description="Requests with this key fail from now on. This cannot be undone."
    >
      {keyRow && (
        <div className="space-y-4">
          <p className="text-sm break-all">
            <strong>{keyRow.alias ?? "Key"}</strong> <code className="font-mono">{keyRow.keyDisplay}</code>
          </p>
          <div className="flex justify-end gap-2">
            <Button variant="secondary" onClick={onCancel}>
              Cancel
            </Button>
            <Button variant="danger" onClick={onConfirm} disabled={busy}>
              {busy ? "Revoking…" : "Revoke key"}
            </Button>
          </div>
        </div>
      )}
    </Dialog>
  );
}
