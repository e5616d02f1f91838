import { useApolloClient, useQuery } from "@apollo/client/react";
import { useEffect } from "react";
import { useLocation, useNavigate, useSearchParams } from "react-router";

import { Alert } from "../../../components/ui/States";
import { Tab, TabPanel, TabsList, TabsRoot } from "../../../components/ui/Tabs";
import { signedInBefore } from "../../../lib/credentials";
import { AuthCard } from "../components/AuthCard";
import { MasterKeyForm } from "../components/MasterKeyForm";
import { PasswordSignInForm } from "../components/PasswordSignInForm";
import { safeNext } from "../next";
import { SignInOptionsQuery } from "../operations";
import { ssoButtonLabel, ssoHref } from "../sso";

export default function SignInPage() {
  const client = useApolloClient();
  const navigate = useNavigate();
  const location = useLocation();
  const [params] = useSearchParams();
  const next = safeNext(params.get("next"));
  const notice = (location.state as { message?: string } | null)?.message;
  // What the gateway accepts; until it answers (or if it cannot), password and master key.
  const options = useQuery(SignInOptionsQuery).data?.signInOptions;
  const sso = options?.oidcEnabled ?? false;
  const password = options?.passwordEnabled ?? true;

  // Most sign-ins land on the dashboard: fetch its code while the form is being filled in,
  // so that after the click only its data is waited for.
  useEffect(() => {
    if (next === "/") void import("../../dashboard/pages/DashboardPage");
  }, [next]);

  async function signedIn(): Promise<void> {
    signedInBefore.set(true);
    // Whatever was cached belonged to the previous caller.
    await client.clearStore();
    await navigate(next, { replace: true });
  }

  return (
    <AuthCard title="Sign in to the console">
      {notice && (
        <Alert tone="warning" className="mb-4">
          {notice}
        </Alert>
      )}
      <TabsRoot key={password ? "password" : "master-key"} defaultValue={password ? "password" : "master-key"}>
        <TabsList label="How to sign in">
          {password && <Tab value="password">E-mail and password</Tab>}
          <Tab value="master-key">Master key</Tab>
        </TabsList>
        {password && (
          <TabPanel value="password">
            <PasswordSignInForm onSignedIn={signedIn} />
          </TabPanel>
        )}
        <TabPanel value="master-key">
          <MasterKeyForm onSignedIn={signedIn} />
        </TabPanel>
      </TabsRoot>
      {sso && (
        <div className="mt-5 border-t border-slate-200 pt-5 dark:border-slate-700">
          <a
            href={ssoHref(next)}
            className="block w-full rounded-md border border-slate-300 px-3.5 py-2 text-center text-sm font-medium text-slate-800 hover:bg-slate-50 dark:border-slate-600 dark:text-slate-100 dark:hover:bg-slate-800"
          >
            {ssoButtonLabel(options?.oidcLabel)}
          </a>
        </div>
      )}
    </AuthCard>
  );
}
