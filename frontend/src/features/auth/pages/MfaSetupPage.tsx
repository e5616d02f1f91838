import { useApolloClient, useMutation } from "@apollo/client/react";
import { QRCodeSVG } from "qrcode.react";
import { useState, type FormEvent } from "react";
import { useNavigate, useSearchParams } from "react-router";

import { Button } from "../../../components/ui/Button";
import { TextField } from "../../../components/ui/Field";
import { Alert } from "../../../components/ui/States";
import { errorMessage } from "../../../lib/apollo";
import { AuthCard } from "../components/AuthCard";
import { RecoveryCodes } from "../components/RecoveryCodes";
import { safeNext } from "../next";
import { ConfirmMfaEnrollmentMutation, StartMfaEnrollmentMutation, ViewerQuery } from "../operations";

/** Two-factor enrollment: scan (or type) the secret, prove a code, keep the recovery codes. */
export default function MfaSetupPage() {
  const client = useApolloClient();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const [start, started] = useMutation(StartMfaEnrollmentMutation);
  const [confirm, confirming] = useMutation(ConfirmMfaEnrollmentMutation);
  const [code, setCode] = useState("");
  const [codeError, setCodeError] = useState<string | undefined>();
  const [formError, setFormError] = useState<string | undefined>();
  const [recovery, setRecovery] = useState<string[] | null>(null);
  const enrollment = started.data?.startMfaEnrollment;

  async function begin(): Promise<void> {
    setFormError(undefined);
    try {
      await start();
    } catch (error) {
      setFormError(errorMessage(error));
    }
  }

  async function submit(event: FormEvent): Promise<void> {
    event.preventDefault();
    if (!/^\d{6}$/.test(code.trim())) {
      setCodeError("Enter the 6-digit code your app shows.");
      return;
    }
    setCodeError(undefined);
    try {
      const { data } = await confirm({ variables: { code: code.trim() } });
      setRecovery(data?.confirmMfaEnrollment ?? []);
    } catch (error) {
      setCodeError(errorMessage(error));
    }
  }

  async function finish(): Promise<void> {
    await client.query({ query: ViewerQuery, fetchPolicy: "network-only" });
    await navigate(safeNext(params.get("next")), { replace: true });
  }

  if (recovery) {
    return (
      <AuthCard title="Save your recovery codes">
        <p className="mb-3 text-sm text-slate-700 dark:text-slate-300">
          Two-factor sign-in is on. Each code below signs you in once if you lose your authenticator. They are
          shown only now.
        </p>
        <RecoveryCodes codes={recovery} />
        <Button className="mt-5 w-full" onClick={() => void finish()}>
          I have saved them, continue
        </Button>
      </AuthCard>
    );
  }

  return (
    <AuthCard title="Set up two-factor sign-in">
      {formError && <Alert tone="error" className="mb-4">{formError}</Alert>}
      {!enrollment ? (
        <div className="space-y-4">
          <p className="text-sm text-slate-700 dark:text-slate-300">
            Use an authenticator app (any TOTP app) to add a second step to your sign-in.
          </p>
          <Button className="w-full" onClick={() => void begin()} disabled={started.loading}>
            {started.loading ? "Preparing…" : "Set up an authenticator app"}
          </Button>
        </div>
      ) : (
        <form noValidate onSubmit={(e) => void submit(e)} className="space-y-4">
          <ol className="list-decimal space-y-3 pl-5 text-sm text-slate-700 dark:text-slate-300">
            <li>
              Scan this code with your app.
              <div className="mt-2 inline-block rounded-md bg-white p-3">
                <QRCodeSVG value={enrollment.otpauthUri} size={176} title="QR code of the authenticator secret" />
              </div>
            </li>
            <li>
              Or type the secret into it:
              <TextField
                label="Authenticator secret"
                className="mt-2"
                readOnly
                value={enrollment.secret}
                onFocus={(e) => e.target.select()}
                style={{ fontFamily: "ui-monospace, monospace" }}
              />
            </li>
            <li>Enter the code the app shows.</li>
          </ol>
          <TextField
            label="Code from the app"
            inputMode="numeric"
            autoComplete="one-time-code"
            value={code}
            onChange={(e) => setCode(e.target.value)}
            error={codeError}
          />
          <Button type="submit" className="w-full" disabled={confirming.loading}>
            {confirming.loading ? "Checking…" : "Turn on two-factor sign-in"}
          </Button>
        </form>
      )}
    </AuthCard>
  );
}
