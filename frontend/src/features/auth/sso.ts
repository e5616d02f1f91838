export const SSO_LOGIN = "/auth/login";

/**
 * Where the single sign-on button points: the gateway's sign-on route, carrying the console
 * page to come back to (the gateway accepts only paths under /ui and drops anything else).
 */
export function ssoHref(next: string): string {
  return next === "/" ? SSO_LOGIN : `${SSO_LOGIN}?next=${encodeURIComponent(`/ui${next}`)}`;
}

export function ssoButtonLabel(label: string | null | undefined): string {
  return `Sign in with ${label?.trim() || "single sign-on"}`;
}
