import { Button } from "../../../components/ui/Button";
import { CopyButton } from "../../../components/ui/CopyButton";
import { Alert } from "../../../components/ui/States";

/** A key's secret, shown once after creation or regeneration. */
export function SecretNotice({ secret, onDone }: { secret: string; onDone: () => void }) {
  return (
    <div className="space-y-4">
      <Alert tone="warning">Copy the key now: it is shown only once and cannot be retrieved later.</Alert>
      <div className="flex items-center gap-2">
        <code
          aria-label="New key secret"
          className="min-w-0 flex-1 rounded-md bg-slate-100 px-3 py-2 font-mono text-sm break-all dark:bg-slate-800"
        >
          {secret}
        </code>
        <CopyButton text={secret} />
      </div>
      <div className="flex justify-end">
        <Button onClick={onDone}>Done</Button>
      </div>
    </div>
  );
}
