import * as RadixTabs from "@radix-ui/react-tabs";
import type { ReactNode } from "react";

export const TabsRoot = RadixTabs.Root;

export function TabsList({ label, children }: { label: string; children: ReactNode }) {
  return (
    <RadixTabs.List aria-label={label} className="mb-4 flex gap-1 border-b border-slate-200 dark:border-slate-700">
      {children}
    </RadixTabs.List>
  );
}

export function Tab({ value, children }: { value: string; children: ReactNode }) {
  return (
    <RadixTabs.Trigger
      value={value}
      className="-mb-px border-b-2 border-transparent px-3 py-2 text-sm font-medium text-slate-600 hover:text-slate-900 data-[state=active]:border-indigo-600 data-[state=active]:text-indigo-700 dark:text-slate-400 dark:hover:text-slate-100 dark:data-[state=active]:text-indigo-300"
    >
      {children}
    </RadixTabs.Trigger>
  );
}

export const TabPanel = RadixTabs.Content;
