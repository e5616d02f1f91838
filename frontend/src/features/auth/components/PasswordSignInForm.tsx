import { useMutation } from "@apollo/client/react";
import { useState, type FormEvent } from "react";

import { Button } from "../../../components/ui/Button";
import { TextField } from "../../../components/ui/Field";
import { Alert } from "../../../components/ui/States";
import { errorMessage } from "../../../lib/apollo";
import { LoginMutation } from "../operations";

interface Props {
  onSignedIn: () => void | Promise<void>;
}

type Errors = Partial<Record<"email" | "password" | "totpCode" | "form", string>>;

/** E-mail and password, then (when the account has MFA) a TOTP or recovery code. */
export function PasswordSignInForm({ onSignedIn }: Props) {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [code, setCode] = useState("");
  const [mfaStep, setMfaStep] = useState(false);
  const [errors, setErrors] = useState<Errors>({});
  const [login, { loading }] = useMutation(LoginMutation);

  async function submit(event: FormEvent): Promise<void> {
    event.preventDefault();
    const found: Errors = {};
    if (!/^\S+@\S+$/.test(email.trim())) found.email = "Enter your e-mail address.";
    if (password === "") found.password = "Enter your password.";
    if (mfaStep && code.trim() === "") found.totpCode = "Enter the code from your authenticator app or a recovery code.";
    setErrors(found);
    if (Object.keys(found).length > 0) return;
    try {
      const { data } = await login({
        variables: { email: email.trim(), password, totpCode: mfaStep ? code.trim() : null },
      });
      const payload = data?.login;
      if (!payload) return;
      if (payload.mfaRequired) {
        if (mfaStep) setErrors({ totpCode: "That code was not accepted." });
        setMfaStep(true);
        return;
      }
      if (!payload.ok) {
        const next: Errors = {};
        for (const error of payload.errors) {
          const field = error.field === "totpCode" || error.field === "totp_code" ? "totpCode" : error.field;
          if (field === "email" || field === "password" || field === "totpCode") next[field] = error.message;
          else next.form = error.message;
        }
        if (Object.keys(next).length === 0) next.form = "Sign-in failed.";
        setErrors(next);
        return;
      }
      await onSignedIn();
    } catch (error) {
      setErrors({ form: errorMessage(error) });
    }
  }

  return (
    <form noValidate onSubmit={(e) => void submit(e)} className="space-y-4">
      {errors.form && <Alert tone="error">{errors.form}</Alert>}
      <TextField
        label="E-mail"
        type="email"
        autoComplete="username"
        value={email}
        onChange={(e) => setEmail(e.target.value)}
        error={errors.email}
        readOnly={mfaStep}
      />
      <TextField
        label="Password"
        type="password"
        autoComplete="current-password"
        value={password}
        onChange={(e) => setPassword(e.target.value)}
        error={errors.password}
        readOnly={mfaStep}
      />
      {mfaStep && (
        <TextField
          label="Authentication code"
          hint="The 6-digit code from your authenticator app, or one of your recovery codes."
          autoComplete="one-time-code"
          autoFocus
          value={code}
          onChange={(e) => setCode(e.target.value)}
          error={errors.totpCode}
        />
      )}
      <Button type="submit" className="w-full" disabled={loading}>
        {loading ? "Signing in…" : mfaStep ? "Verify and sign in" : "Sign in"}
      </Button>
    </form>
  );
}
