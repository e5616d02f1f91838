import { useApolloClient, useQuery } from "@apollo/client/react";
import { useEffect } from "react";
import { Navigate, useLocation, useNavigate } from "react-router";

import { LoadingState, ErrorState } from "../../components/ui/States";
import { errorCode, errorMessage } from "../../lib/apollo";
import { masterKey, onRefusal, signedInBefore } from "../../lib/credentials";
import { withNext } from "./next";
import { ViewerQuery } from "./operations";
import { ViewerProvider } from "./viewer";
import type { ReactNode } from "react";

export const SESSION_ENDED = "Your session has ended. Sign in again to continue.";

/**
 * The gate in front of every signed-in page: asks the API who is calling, sends strangers to
 * the sign-in page (and back here afterwards), and sends a user who must change a password
 * or enroll MFA there first. A refusal on any later request (UNAUTHENTICATED) does the same.
 */
export function RequireSignIn({ children }: { children: ReactNode }) {
  const client = useApolloClient();
  const navigate = useNavigate();
  const location = useLocation();
  const here = `${location.pathname}${location.search}`;
  const { data, error, loading, refetch } = useQuery(ViewerQuery, { fetchPolicy: "cache-first" });

  useEffect(
    () =>
      onRefusal((refusal) => {
        if (refusal === "password-change") {
          void navigate(withNext("/change-password", here), { replace: true });
          return;
        }
        if (refusal === "mfa") {
          void navigate(withNext("/mfa-setup", here), { replace: true });
          return;
        }
        masterKey.clear();
        signedInBefore.set(false);
        void client.clearStore();
        void navigate(withNext("/sign-in", here), { replace: true, state: { message: SESSION_ENDED } });
      }),
    [client, navigate, here],
  );

  if (error && errorCode(error) === "UNAUTHENTICATED") {
    const expired = signedInBefore.get();
    if (expired) signedInBefore.set(false);
    masterKey.clear();
    return (
      <Navigate to={withNext("/sign-in", here)} replace state={expired ? { message: SESSION_ENDED } : null} />
    );
  }
  if (error) {
    return (
      <div className="p-8">
        <ErrorState message={errorMessage(error)} onRetry={() => void refetch()} />
      </div>
    );
  }
  if (loading || !data) return <LoadingState label="Loading the console" />;
  const viewer = data.me;
  if (viewer.mustChangePassword) return <Navigate to={withNext("/change-password", here)} replace />;
  if (viewer.mfaSetupRequired) return <Navigate to={withNext("/mfa-setup", here)} replace />;
  return <ViewerProvider viewer={viewer}>{children}</ViewerProvider>;
}
