import { ApolloClient, ApolloLink, HttpLink, InMemoryCache } from "@apollo/client";
import { CombinedGraphQLErrors } from "@apollo/client/errors";
import { ErrorLink } from "@apollo/client/link/error";

import { masterKey, reportRefusal, type Refusal } from "./credentials";

export const CSRF_HEADER = "x-deltallm-csrf";

/** The GraphQL error code of `error`, when it is a GraphQL error carrying one. */
export function errorCode(error: unknown): string | undefined {
  if (!CombinedGraphQLErrors.is(error)) return undefined;
  const code = error.errors[0]?.extensions?.["code"];
  return typeof code === "string" ? code : undefined;
}

/** A message fit for the page from any Apollo error. */
export function errorMessage(error: unknown): string {
  if (CombinedGraphQLErrors.is(error)) return error.errors.map((e) => e.message).join(" ");
  if (error instanceof Error) return error.message;
  return "Something went wrong.";
}

// Operations that run before anyone is signed in: their refusals are not "session ended".
const SIGN_IN_OPERATIONS = new Set(["Viewer", "Login"]);
const REFUSALS: Record<string, Refusal> = {
  UNAUTHENTICATED: "session-ended",
  PASSWORD_CHANGE_REQUIRED: "password-change",
  MFA_REQUIRED: "mfa",
};

export function createApolloClient(uri = "/graphql"): ApolloClient {
  const auth = new ApolloLink((operation, forward) => {
    const key = masterKey.get();
    operation.setContext(({ headers }: { headers?: Record<string, string> }) => ({
      headers: {
        ...headers,
        [CSRF_HEADER]: "1",
        ...(key !== null ? { authorization: `Bearer ${key}` } : {}),
      },
    }));
    return forward(operation);
  });
  const expired = new ErrorLink(({ error, operation }) => {
    if (SIGN_IN_OPERATIONS.has(operation.operationName ?? "")) return;
    const refusal = REFUSALS[errorCode(error) ?? ""];
    if (refusal) reportRefusal(refusal);
  });
  return new ApolloClient({
    link: ApolloLink.from([expired, auth, new HttpLink({ uri, credentials: "same-origin" })]),
    cache: new InMemoryCache({
      typePolicies: {
        // Settings and totals have no id: they are values, replaced whole.
        SpendTotals: { keyFields: false },
        Viewer: { keyFields: false },
        // The Guardrails and Settings pages each read part of it: keep both parts.
        GatewaySettings: { keyFields: false, merge: true },
        // Policies are named uniquely; the pickers read fewer of their fields than that page.
        GuardrailPolicy: { keyFields: ["name"] },
      },
    }),
    defaultOptions: { watchQuery: { fetchPolicy: "cache-and-network" } },
  });
}
