/** The in-app path to return to after signing in; anything else (other sites) is dropped. */
export function safeNext(value: string | null): string {
  if (!value || !value.startsWith("/") || value.startsWith("//") || value.startsWith("/sign-in")) {
    return "/";
  }
  return value;
}

export function withNext(path: string, next: string): string {
  return next === "/" ? path : `${path}?next=${encodeURIComponent(next)}`;
}
