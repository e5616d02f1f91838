import { formatCount } from "../../lib/format";
import { Button } from "./Button";

/** Previous/next over a Relay connection, with the total when the API counts it. */
export function Pager({
  total,
  noun,
  page,
  hasNext,
  onPrevious,
  onNext,
}: {
  total: number;
  noun: [string, string];
  page: number;
  hasNext: boolean;
  onPrevious: () => void;
  onNext: () => void;
}) {
  return (
    <nav aria-label="Pages" className="flex items-center justify-between gap-3 text-sm">
      <span className="text-slate-600 dark:text-slate-400">
        {formatCount(total)} {total === 1 ? noun[0] : noun[1]} · page {page}
      </span>
      <div className="flex gap-2">
        <Button variant="secondary" size="sm" disabled={page <= 1} onClick={onPrevious}>
          Previous
        </Button>
        <Button variant="secondary" size="sm" disabled={!hasNext} onClick={onNext}>
          Next
        </Button>
      </div>
    </nav>
  );
}
