import { useEffect, useState } from "react";

export const SSO_LOGIN = "/auth/login";

/**
 * Whether single sign-on is configured. The schema does not say before sign-in, so this asks
 * the sign-on route itself without following it: it redirects to the provider when OIDC is on
 * and answers 404 when it is off.
 */
export async function ssoAvailable(fetcher: typeof fetch = fetch): Promise<boolean> {
  try {
    const response = await fetcher(SSO_LOGIN, { redirect: "manual", credentials: "same-origin" });
    return response.type === "opaqueredirect" || (response.status >= 300 && response.status < 400);
  } catch {
    return false;
  }
}

export function useSsoAvailable(): boolean {
  const [available, setAvailable] = useState(false);
  useEffect(() => {
    let live = true;
    void ssoAvailable().then((on) => {
      if (live) setAvailable(on);
    });
    return () => {
      live = false;
    };
  }, []);
  return available;
}
