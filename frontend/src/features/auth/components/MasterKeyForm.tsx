import { useApolloClient } from "@apollo/client/react";
import { useState, type FormEvent } from "react";

import { Button } from "../../../components/ui/Button";
import { TextField } from "../../../components/ui/Field";
import { masterKey } from "../../../lib/credentials";
import { errorMessage } from "../../../lib/apollo";
import { ViewerQuery } from "../operations";

/** The master key (or an admin key) as a Bearer token, kept in this tab's sessionStorage. */
export function MasterKeyForm({ onSignedIn }: { onSignedIn: () => void | Promise<void> }) {
  const client = useApolloClient();
  const [key, setKey] = useState("");
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent): Promise<void> {
    event.preventDefault();
    if (key.trim() === "") {
      setError("Enter the master key.");
      return;
    }
    setBusy(true);
    masterKey.set(key.trim());
    try {
      await client.query({ query: ViewerQuery, fetchPolicy: "network-only" });
      await onSignedIn();
    } catch (failure) {
      masterKey.clear();
      setError(errorMessage(failure));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form noValidate onSubmit={(e) => void submit(e)} className="space-y-4">
      <TextField
        label="Master key"
        type="password"
        autoComplete="off"
        hint="Kept in this browser tab only; closing the tab signs you out."
        value={key}
        onChange={(e) => setKey(e.target.value)}
        error={error}
      />
      <Button type="submit" className="w-full" disabled={busy}>
        {busy ? "Checking…" : "Sign in with the key"}
      </Button>
    </form>
  );
}
