import type { Page } from "../../lib/permissions";

export interface NavItem {
  page: Page;
  to: string;
  label: string;
  /** Pages with the period picker carry the chosen period along. */
  keepsPeriod?: boolean;
  /** Shown indented under the item before it. */
  nested?: boolean;
  /** Active only on its own path, not on the paths below it. */
  end?: boolean;
}

export const NAV_ITEMS: NavItem[] = [
  { page: "dashboard", to: "/", label: "Dashboard", keepsPeriod: true },
  { page: "usage", to: "/usage", label: "Usage", keepsPeriod: true },
  { page: "keys", to: "/keys", label: "API keys", end: true },
  { page: "hygiene", to: "/keys/hygiene", label: "Key hygiene", nested: true },
  { page: "playground", to: "/playground", label: "Playground" },
  { page: "models", to: "/models", label: "Models" },
  { page: "orgs", to: "/orgs", label: "Organizations" },
  { page: "teams", to: "/teams", label: "Teams" },
  { page: "users", to: "/users", label: "Users" },
  { page: "endusers", to: "/end-users", label: "End users" },
  { page: "access", to: "/access", label: "Access control" },
  { page: "guardrails", to: "/guardrails", label: "Guardrails" },
  { page: "settings", to: "/settings", label: "Settings" },
  { page: "audit", to: "/audit", label: "Audit log", keepsPeriod: true },
];
