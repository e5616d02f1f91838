export function StatCard({ label, value, detail }: { label: string; value: string; detail?: string | undefined }) {
  return (
    <div className="min-w-0 rounded-lg border border-slate-200 bg-white p-4 shadow-sm dark:border-slate-700 dark:bg-slate-900">
      <dt className="text-xs font-medium tracking-wide text-slate-600 uppercase dark:text-slate-400">{label}</dt>
      <dd className="mt-1 truncate text-2xl font-semibold text-slate-900 dark:text-slate-50">{value}</dd>
      {detail && <dd className="mt-0.5 truncate text-xs text-slate-600 dark:text-slate-400">{detail}</dd>}
    </div>
  );
}
