import { useApolloClient } from "@apollo/client/react";
import { useLocation, useNavigate, useSearchParams } from "react-router";

import { Alert } from "../../../components/ui/States";
import { Tab, TabPanel, TabsList, TabsRoot } from "../../../components/ui/Tabs";
import { signedInBefore } from "../../../lib/credentials";
import { AuthCard } from "../components/AuthCard";
import { MasterKeyForm } from "../components/MasterKeyForm";
import { PasswordSignInForm } from "../components/PasswordSignInForm";
import { safeNext } from "../next";

export default function SignInPage() {
  const client = useApolloClient();
  const navigate = useNavigate();
  const location = useLocation();
  const [params] = useSearchParams();
  const next = safeNext(params.get("next"));
  const notice = (location.state as { message?: string } | null)?.message;

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
      <TabsRoot defaultValue="password">
        <TabsList label="How to sign in">
          <Tab value="password">E-mail and password</Tab>
          <Tab value="master-key">Master key</Tab>
        </TabsList>
        <TabPanel value="password">
          <PasswordSignInForm onSignedIn={signedIn} />
        </TabPanel>
        <TabPanel value="master-key">
          <MasterKeyForm onSignedIn={signedIn} />
        </TabPanel>
      </TabsRoot>
    </AuthCard>
  );
}
