import { Button } from "../../../components/ui/Button";
import { CopyButton } from "../../../components/ui/CopyButton";
import { TextField } from "../../../components/ui/Field";
import { Alert } from "../../../components/ui/States";

/** A temporary password, shown once; the user must change it at their first sign-in. */
export function PasswordNotice({ email, password, onDone }: { email: string; password: string; onDone: () => void }) {
  return (
    <div className="space-y-4">
      <Alert tone="warning">
        Give this temporary password to {email}. It is shown only once; they choose their own at the first sign-in.
      </Alert>
      <div className="flex items-end gap-2">
        <TextField
          label="Temporary password"
          className="min-w-0 flex-1"
          readOnly
          value={password}
          onFocus={(e) => e.target.select()}
          style={{ fontFamily: "ui-monospace, monospace" }}
        />
        <CopyButton text={password} />
      </div>
      <div className="flex justify-end">
        <Button onClick={onDone}>Done</Button>
      </div>
    </div>
  );
}
