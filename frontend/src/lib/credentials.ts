// How the console proves who it is to /graphql. A browser session is the HttpOnly cookie the
// `login` mutation sets (plus the CSRF header on every request); a master key lives in
// sessionStorage only, so it dies with the tab.

const MASTER_KEY = "deltallm.masterKey";
const HAD_SESSION = "deltallm.hadSession";

export const masterKey = {
  get(): string | null {
    return sessionStorage.getItem(MASTER_KEY);
  },
  set(value: string): void {
    sessionStorage.setItem(MASTER_KEY, value);
  },
  clear(): void {
    sessionStorage.removeItem(MASTER_KEY);
  },
};

/** Remembers that this browser was signed in, so a later refusal reads as "session ended". */
export const signedInBefore = {
  get(): boolean {
    return localStorage.getItem(HAD_SESSION) === "1";
  },
  set(value: boolean): void {
    if (value) localStorage.setItem(HAD_SESSION, "1");
    else localStorage.removeItem(HAD_SESSION);
  },
};

/**
 * Why the API turned the signed-in caller away: the session ended (UNAUTHENTICATED), or the
 * account must change its password or finish MFA first.
 */
export type Refusal = "session-ended" | "password-change" | "mfa";
type Listener = (refusal: Refusal) => void;
const listeners = new Set<Listener>();

export function onRefusal(listener: Listener): () => void {
  listeners.add(listener);
  return () => {
    listeners.delete(listener);
  };
}

export function reportRefusal(refusal: Refusal): void {
  for (const listener of listeners) listener(refusal);
}
