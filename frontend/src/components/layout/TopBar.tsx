import { useApolloClient, useMutation } from "@apollo/client/react";
import { useNavigate } from "react-router";

import { LogoutMutation } from "../../features/auth/operations";
import { useViewer } from "../../features/auth/viewer";
import { masterKey, signedInBefore } from "../../lib/credentials";
import { useTheme } from "../../lib/theme";
import { Button } from "../ui/Button";
import { MenuContent, MenuItem, MenuLabel, MenuRoot, MenuSeparator, MenuTrigger } from "../ui/Menu";

export function TopBar() {
  const viewer = useViewer();
  const client = useApolloClient();
  const navigate = useNavigate();
  const { theme, toggle } = useTheme();
  const [logout] = useMutation(LogoutMutation);
  const who = viewer.email ?? (viewer.kind === "master_key" ? "Master key" : viewer.kind);

  async function signOut(): Promise<void> {
    if (masterKey.get() === null) {
      try {
        await logout();
      } catch {
        // The session may already be gone; signing out locally is what matters.
      }
    }
    masterKey.clear();
    signedInBefore.set(false);
    await client.clearStore();
    await navigate("/sign-in", { replace: true });
  }

  return (
    <header className="sticky top-0 z-30 flex h-14 shrink-0 items-center justify-end gap-2 border-b border-slate-200 bg-white px-4 dark:border-slate-800 dark:bg-slate-900">
      <Button
        variant="ghost"
        size="sm"
        onClick={toggle}
        aria-label={theme === "dark" ? "Use light theme" : "Use dark theme"}
        title={theme === "dark" ? "Use light theme" : "Use dark theme"}
      >
        <span aria-hidden>{theme === "dark" ? "☀" : "☾"}</span>
      </Button>
      <MenuRoot>
        <MenuTrigger asChild>
          <Button variant="secondary" size="sm" aria-label={`Account: ${who}`}>
            <span className="max-w-48 truncate">{who}</span>
            <span aria-hidden>▾</span>
          </Button>
        </MenuTrigger>
        <MenuContent>
          <MenuLabel>
            {who} · {viewer.platformRole.toLowerCase().replaceAll("_", " ")}
          </MenuLabel>
          <MenuSeparator />
          {viewer.kind === "user" && (
            <>
              <MenuItem onSelect={() => void navigate("/change-password?next=/")}>Change password</MenuItem>
              <MenuItem onSelect={() => void navigate("/mfa-setup?next=/")}>Set up two-factor sign-in</MenuItem>
            </>
          )}
          <MenuItem onSelect={() => void signOut()} danger>
            Sign out
          </MenuItem>
        </MenuContent>
      </MenuRoot>
    </header>
  );
}
