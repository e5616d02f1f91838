import { NavLink, useLocation } from "react-router";

import { useViewer } from "../../features/auth/viewer";
import { canSee } from "../../lib/permissions";
import { cn } from "../ui/cn";
import { NAV_ITEMS } from "./nav";

export function Sidebar() {
  const viewer = useViewer();
  const items = NAV_ITEMS.filter((item) => canSee(viewer, item.page));
  const current = new URLSearchParams(useLocation().search);
  const period = new URLSearchParams();
  for (const name of ["period", "from", "to"]) {
    const value = current.get(name);
    if (value !== null) period.set(name, value);
  }
  const periodSearch = period.toString() ? `?${period.toString()}` : "";
  return (
    <div className="w-52 shrink-0 border-r border-slate-200 bg-white max-[900px]:w-44 dark:border-slate-800 dark:bg-slate-900">
    <nav aria-label="Main" className="sticky top-0 flex h-screen flex-col px-3 py-4">
      <p className="mb-6 px-2 text-lg font-semibold text-slate-900 dark:text-slate-50">
        Delta<span className="text-indigo-700 dark:text-indigo-300">LLM</span>
      </p>
      <ul className="space-y-1">
        {items.map((item) => (
          <li key={item.to}>
            <NavLink
              to={item.keepsPeriod ? `${item.to}${periodSearch}` : item.to}
              end={item.to === "/" || item.end === true}
              className={({ isActive }) =>
                cn(
                  "block rounded-md px-2 py-1.5 text-sm font-medium",
                  item.nested && "ml-3",
                  isActive
                    ? "bg-indigo-50 text-indigo-800 dark:bg-indigo-950 dark:text-indigo-200"
                    : "text-slate-700 hover:bg-slate-100 dark:text-slate-300 dark:hover:bg-slate-800",
                )
              }
            >
              {item.label}
            </NavLink>
          </li>
        ))}
      </ul>
      <a
        href="/graphql"
        className="mt-auto block rounded-md px-2 py-1.5 text-sm text-slate-700 hover:bg-slate-100 dark:text-slate-300 dark:hover:bg-slate-800"
      >
        GraphiQL <span aria-hidden>↗</span>
      </a>
    </nav>
    </div>
  );
}
