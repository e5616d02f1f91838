import type { Page } from "../../lib/permissions";

export interface NavItem {
  page: Page;
  to: string;
  label: string;
}

export const NAV_ITEMS: NavItem[] = [
  { page: "dashboard", to: "/", label: "Dashboard" },
  { page: "keys", to: "/keys", label: "API keys" },
  { page: "usage", to: "/usage", label: "Usage" },
  { page: "audit", to: "/audit", label: "Audit log" },
];
