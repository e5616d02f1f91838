import { Button } from "../../../components/ui/Button";
import { TextField } from "../../../components/ui/Field";
import { CopyButton } from "../../../components/ui/CopyButton";
import { Alert } from "../../../components/ui/States";

/** A key's secret, shown once after creation or regeneration. */
export function SecretNotice({ secret, onDone }: { secret: string; onDone: () => void }) {
  return (
    <div className="space-y-4">
      <Alert tone="warning">Copy the key now: it is shown only once and cannot be retrieved later.</Alert>
      <div className="flex items-end gap-2">
        <TextField
          label="New key secret"
          className="min-w-0 flex-1"
          readOnly
          value={secret}
          onFocus={(e) => e.target.select()}
          style={{ fontFamily: "ui-monospace, monospace" }}
        />
        <CopyButton text={secret} />
      </div>
      <div className="flex justify-end">
        <Button onClick={onDone}>Done</Button>
      </div>
    </div>
  );
}
