import { useState, type FormEvent } from "react";

import { Button } from "../../../components/ui/Button";
import { Dialog } from "../../../components/ui/Dialog";
import { TextField } from "../../../components/ui/Field";
import { Alert } from "../../../components/ui/States";

export type BulkAction = "block" | "revoke";

export interface BulkError {
  keyId?: string | null;
  message: string;
  code: string;
}

const COPY: Record<BulkAction, { title: string; description: string; button: string; busy: string }> = {
  block: {
    title: "Block the selected keys?",
    description: "Requests with these keys fail until they are unblocked.",
    button: "Block keys",
    busy: "Blocking…",
  },
  revoke: {
    title: "Revoke the selected keys?",
    description: "Requests with these keys fail from now on. This cannot be undone.",
    button: "Revoke keys",
    busy: "Revoking…",
  },
};

/**
 * Confirms a bulk block or revoke with a required reason (it goes to the audit log).
 * `onConfirm` answers the per-key errors of the payload; the dialog shows them and stays open.
 */
export function BulkKeysDialog({
  action,
  keys,
  onCancel,
  onConfirm,
}: {
  action: BulkAction | null;
  keys: Array<{ id: string; label: string }>;
  onCancel: () => void;
  onConfirm: (action: BulkAction, reason: string) => Promise<BulkError[]>;
}) {
  const [reason, setReason] = useState("");
  const [reasonError, setReasonError] = useState<string | undefined>();
  const [errors, setErrors] = useState<BulkError[]>([]);
  const [busy, setBusy] = useState(false);
  const copy = COPY[action ?? "block"];
  const labels = new Map(keys.map((k) => [k.id, k.label]));

  async function submit(event: FormEvent): Promise<void> {
    event.preventDefault();
    if (!action) return;
    if (!reason.trim()) {
      setReasonError("Give a reason: it is recorded in the audit log.");
      return;
    }
    setReasonError(undefined);
    setBusy(true);
    try {
      setErrors(await onConfirm(action, reason.trim()));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Dialog open={action !== null} onOpenChange={(o) => !o && onCancel()} title={copy.title} description={copy.description}>
      <form onSubmit={(e) => void submit(e)} noValidate className="space-y-4">
        <p className="text-sm">
          {keys.length} {keys.length === 1 ? "key" : "keys"}:{" "}
          <span className="break-all">{keys.map((k) => k.label).join(", ")}</span>
        </p>
        <TextField label="Reason" value={reason} onChange={(e) => {
            setReason(e.target.value);
            if (e.target.value.trim()) setReasonError(undefined);
          }}
          error={reasonError} autoFocus />
        {errors.length > 0 && (
          <Alert tone="error">
            <p className="font-medium">Some keys were not changed:</p>
            <ul className="mt-1 list-disc pl-5">
              {errors.map((e, i) => (
                <li key={`${e.keyId ?? "none"}-${i}`}>
                  {e.keyId ? `${labels.get(e.keyId) ?? e.keyId}: ` : ""}
                  {e.message}
                </li>
              ))}
            </ul>
          </Alert>
        )}
        <div className="flex justify-end gap-2">
          <Button variant="secondary" onClick={onCancel}>
            {errors.length > 0 ? "Close" : "Cancel"}
          </Button>
          <Button type="submit" variant="danger" disabled={busy}>
            {busy ? copy.busy : copy.button}
          </Button>
        </div>
      </form>
    </Dialog>
  );
}
