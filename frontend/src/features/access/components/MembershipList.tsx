import { Link } from "react-router";

import { Button } from "../../../components/ui/Button";
import { inputClass } from "../../../components/ui/Field";
import { cn } from "../../../components/ui/cn";

export interface Membership<R extends string> {
  id: string;
  name: string;
  to: string;
  role: R;
}

interface Props<R extends string> {
  /** Who the memberships are of, for the controls' accessible names. */
  owner: string;
  kind: string;
  items: Membership<R>[];
  roles: Record<R, string>;
  canEdit: boolean;
  onRole: (id: string, role: R) => void;
  onRemove: (id: string) => void;
}

/** A user's memberships with their roles: read-only, or with role pickers and removal. */
export function MembershipList<R extends string>({ owner, kind, items, roles, canEdit, onRole, onRemove }: Props<R>) {
  if (items.length === 0) return <span className="text-slate-600 dark:text-slate-400">None</span>;
  return (
    <ul className="space-y-2">
      {items.map((m) => (
        <li key={m.id} className="min-w-0">
          <Link to={m.to} className="block truncate text-indigo-700 hover:underline dark:text-indigo-300" title={m.name}>
            {m.name}
          </Link>
          {canEdit ? (
            <div className="mt-0.5 flex items-center gap-1">
              <select
                aria-label={`Role of ${owner} in ${kind} ${m.name}`}
                className={cn(inputClass, "w-36 px-2 py-0.5 text-xs")}
                value={m.role}
                onChange={(e) => onRole(m.id, e.target.value as R)}
              >
                {(Object.entries(roles) as Array<[R, string]>).map(([value, text]) => (
                  <option key={value} value={value}>
                    {text}
                  </option>
                ))}
              </select>
              <Button variant="ghost" size="sm" aria-label={`Remove ${owner} from ${kind} ${m.name}`} onClick={() => onRemove(m.id)}>
                <span aria-hidden>✕</span>
              </Button>
            </div>
          ) : (
            <span className="block text-xs text-slate-700 dark:text-slate-300">{roles[m.role]}</span>
          )}
        </li>
      ))}
    </ul>
  );
}
