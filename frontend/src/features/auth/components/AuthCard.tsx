import type { ReactNode } from "react";

export function AuthCard({ title, children }: { title: string; children: ReactNode }) {
  return (
    <main className="flex min-h-screen items-center justify-center bg-slate-100 px-4 py-10 dark:bg-slate-950">
      <div className="w-full max-w-md rounded-xl border border-slate-200 bg-white p-6 shadow-sm dark:border-slate-800 dark:bg-slate-900">
        <p className="mb-1 text-sm font-semibold tracking-wide text-indigo-700 dark:text-indigo-300">DeltaLLM</p>
        <h1 className="mb-5 text-xl font-semibold text-slate-900 dark:text-slate-50">{title}</h1>
        {children}
      </div>
    </main>
  );
}
