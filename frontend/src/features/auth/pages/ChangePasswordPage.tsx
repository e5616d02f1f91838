import { useApolloClient, useMutation } from "@apollo/client/react";
import { useState, type FormEvent } from "react";
import { useNavigate, useSearchParams } from "react-router";

import { Button } from "../../../components/ui/Button";
import { TextField } from "../../../components/ui/Field";
import { Alert } from "../../../components/ui/States";
import { errorMessage } from "../../../lib/apollo";
import { AuthCard } from "../components/AuthCard";
import { safeNext } from "../next";
import { ChangePasswordMutation, ViewerQuery } from "../operations";

export const MIN_PASSWORD_LENGTH = 12;

type Errors = Partial<Record<"current" | "new" | "confirm" | "form", string>>;

export function validatePasswordChange(current: string, next: string, confirm: string): Errors {
  const errors: Errors = {};
  if (current === "") errors.current = "Enter your current password.";
  if (next.length < MIN_PASSWORD_LENGTH) errors.new = `Use at least ${MIN_PASSWORD_LENGTH} characters.`;
  else if (next === current) errors.new = "Choose a password different from the current one.";
  if (confirm !== next) errors.confirm = "The two new passwords differ.";
  return errors;
}

export default function ChangePasswordPage() {
  const client = useApolloClient();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const [current, setCurrent] = useState("");
  const [password, setPassword] = useState("");
  const [confirm, setConfirm] = useState("");
  const [errors, setErrors] = useState<Errors>({});
  const [change, { loading }] = useMutation(ChangePasswordMutation);

  async function submit(event: FormEvent): Promise<void> {
    event.preventDefault();
    const found = validatePasswordChange(current, password, confirm);
    setErrors(found);
    if (Object.keys(found).length > 0) return;
    try {
      const { data } = await change({ variables: { current, new: password } });
      const refused = data?.changePassword ?? [];
      if (refused.length > 0) {
        const next: Errors = {};
        for (const error of refused) {
          if (error.field === "current") next.current = error.message;
          else if (error.field === "new") next.new = error.message;
          else next.form = error.message;
        }
        setErrors(next);
        return;
      }
      await client.query({ query: ViewerQuery, fetchPolicy: "network-only" });
      await navigate(safeNext(params.get("next")), { replace: true });
    } catch (error) {
      setErrors({ form: errorMessage(error) });
    }
  }

  return (
    <AuthCard title="Choose a new password">
      <p className="mb-4 text-sm text-slate-700 dark:text-slate-300">
        Your password was set by an administrator or has to be renewed. Choose your own before going on.
      </p>
      <form noValidate onSubmit={(e) => void submit(e)} className="space-y-4">
        {errors.form && <Alert tone="error">{errors.form}</Alert>}
        <TextField
          label="Current password"
          type="password"
          autoComplete="current-password"
          value={current}
          onChange={(e) => setCurrent(e.target.value)}
          error={errors.current}
        />
        <TextField
          label="New password"
          type="password"
          autoComplete="new-password"
          hint={`At least ${MIN_PASSWORD_LENGTH} characters.`}
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          error={errors.new}
        />
        <TextField
          label="Repeat the new password"
          type="password"
          autoComplete="new-password"
          value={confirm}
          onChange={(e) => setConfirm(e.target.value)}
          error={errors.confirm}
        />
        <Button type="submit" className="w-full" disabled={loading}>
          {loading ? "Saving…" : "Change password"}
        </Button>
      </form>
    </AuthCard>
  );
}
