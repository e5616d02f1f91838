import { Link } from "react-router";

export function NotAllowedPage() {
  return (
    <div className="mx-auto max-w-lg py-16 text-center">
      <h1 className="text-2xl font-semibold text-slate-900 dark:text-slate-50">Not allowed</h1>
      <p className="mt-2 text-slate-700 dark:text-slate-300">
        Your role does not give access to this page. Ask a platform administrator if you need it.
      </p>
      <Link to="/" className="mt-6 inline-block text-indigo-700 underline dark:text-indigo-300">
        Back to the dashboard
      </Link>
    </div>
  );
}

export function NotFoundPage() {
  return (
    <div className="mx-auto max-w-lg py-16 text-center">
      <h1 className="text-2xl font-semibold text-slate-900 dark:text-slate-50">Page not found</h1>
      <p className="mt-2 text-slate-700 dark:text-slate-300">There is no console page at this address.</p>
      <Link to="/" className="mt-6 inline-block text-indigo-700 underline dark:text-indigo-300">
        Back to the dashboard
      </Link>
    </div>
  );
}
