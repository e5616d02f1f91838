import { Button } from "../../../components/ui/Button";
import { CopyButton } from "../../../components/ui/CopyButton";

function download(codes: string[]): void {
  const blob = new Blob([`DeltaLLM recovery codes\n\n${codes.join("\n")}\n`], { type: "text/plain" });
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = "deltallm-recovery-codes.txt";
  link.click();
  URL.revokeObjectURL(url);
}

/** The recovery codes, shown this once. */
export function RecoveryCodes({ codes }: { codes: string[] }) {
  return (
    <div className="space-y-3">
      <ul
        aria-label="Recovery codes"
        className="grid grid-cols-2 gap-2 rounded-md bg-slate-100 p-3 font-mono text-sm dark:bg-slate-800"
      >
        {codes.map((code) => (
          <li key={code}>{code}</li>
        ))}
      </ul>
      <div className="flex gap-2">
        <CopyButton text={codes.join("\n")} label="Copy codes" />
        <Button variant="secondary" size="sm" onClick={() => download(codes)}>
          Download codes
        </Button>
      </div>
    </div>
  );
}
