import { useState, type FormEvent } from "react";

import { Button } from "../../../components/ui/Button";
import { SelectField, TextField } from "../../../components/ui/Field";
import { Alert } from "../../../components/ui/States";
import { PlatformRole } from "../../../gql/graphql";
import { PLATFORM_ROLE_LABELS } from "../../orgs/roles";
import { EMPTY_INVITE, validateInvite, type InviteErrors, type InviteField, type InviteValues } from "../inviteForm";

interface Props {
  /** Roles the viewer may grant (none above their own). */
  roles: PlatformRole[];
  onSubmit: (values: InviteValues) => Promise<InviteErrors | null>;
  onCancel: () => void;
}

export function InviteUserForm({ roles, onSubmit, onCancel }: Props) {
  const [values, setValues] = useState<InviteValues>(EMPTY_INVITE);
  const [errors, setErrors] = useState<InviteErrors>({});
  const [busy, setBusy] = useState(false);

  function change(name: InviteField, value: string): void {
    setValues((v) => ({ ...v, [name]: value }));
    setErrors(({ [name]: _fixed, ...rest }) => rest);
  }

  async function submit(event: FormEvent): Promise<void> {
    event.preventDefault();
    const found = validateInvite(values);
    setErrors(found);
    if (Object.keys(found).length > 0) return;
    setBusy(true);
    try {
      const refused = await onSubmit(values);
      if (refused) setErrors(refused);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form noValidate onSubmit={(e) => void submit(e)} className="space-y-4" aria-label="Invite a user">
      {errors.form && <Alert tone="error">{errors.form}</Alert>}
      <TextField label="E-mail" type="email" autoComplete="off" value={values.email} error={errors.email} onChange={(e) => change("email", e.target.value)} />
      <TextField label="Display name" hint="Optional." value={values.displayName} error={errors.displayName} onChange={(e) => change("displayName", e.target.value)} />
      <SelectField label="Platform role" value={values.role} error={errors.role} onChange={(e) => change("role", e.target.value)}>
        {roles.map((r) => (
          <option key={r} value={r}>
            {PLATFORM_ROLE_LABELS[r]}
          </option>
        ))}
      </SelectField>
      <div className="flex justify-end gap-2">
        <Button variant="secondary" onClick={onCancel}>
          Cancel
        </Button>
        <Button type="submit" disabled={busy}>
          {busy ? "Inviting…" : "Invite user"}
        </Button>
      </div>
    </form>
  );
}
