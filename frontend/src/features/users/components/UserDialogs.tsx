import { useMutation, useQuery } from "@apollo/client/react";
import { useState, type FormEvent } from "react";

import { Button } from "../../../components/ui/Button";
import { Dialog } from "../../../components/ui/Dialog";
import { SelectField } from "../../../components/ui/Field";
import { Alert, ErrorState, LoadingState } from "../../../components/ui/States";
import type { PlatformRole, UserFieldsFragment } from "../../../gql/graphql";
import { errorMessage } from "../../../lib/apollo";
import { LimitsForm } from "../../orgs/components/LimitsForm";
import { SpendSummary } from "../../orgs/components/SpendSummary";
import { limitsInput, limitsPayloadErrors, limitsValuesOf, type LimitsFormShape, type LimitsFormValues } from "../../orgs/limitsForm";
import { PLATFORM_ROLE_LABELS } from "../../orgs/roles";
import { SetUserLimitsMutation, SetUserRoleMutation, UserLimitsQuery } from "../operations";

const USER_SHAPE: LimitsFormShape = { name: false, softBudget: true, models: false };

function label(user: UserFieldsFragment): string {
  return user.displayName ?? user.email;
}

/** Changes a user's platform role; a refusal (e.g. the last admin) shows on the role field. */
export function RoleDialog({ user, roles, onClose }: { user: UserFieldsFragment | null; roles: PlatformRole[]; onClose: () => void }) {
  return (
    <Dialog open={user !== null} onOpenChange={(o) => !o && onClose()} title={user ? `Role of ${label(user)}` : ""}>
      {user && <RoleForm key={user.id} user={user} roles={roles} onDone={onClose} />}
    </Dialog>
  );
}

function RoleForm({ user, roles, onDone }: { user: UserFieldsFragment; roles: PlatformRole[]; onDone: () => void }) {
  const [role, setRole] = useState<PlatformRole>(user.platformRole);
  const [error, setError] = useState<string | undefined>();
  const [setUserRole, { loading }] = useMutation(SetUserRoleMutation);

  async function submit(event: FormEvent): Promise<void> {
    event.preventDefault();
    try {
      const { data } = await setUserRole({ variables: { userId: user.id, role } });
      const errors = data?.setUserRole.errors ?? [];
      if (errors.length > 0) setError(errors.map((e) => e.message).join(" "));
      else onDone();
    } catch (e) {
      setError(errorMessage(e));
    }
  }

  return (
    <form noValidate onSubmit={(e) => void submit(e)} className="space-y-4" aria-label="Change role">
      <SelectField
        label="Platform role"
        value={role}
        error={error}
        onChange={(e) => {
          setRole(e.target.value as PlatformRole);
          setError(undefined);
        }}
      >
        {roles.map((r) => (
          <option key={r} value={r}>
            {PLATFORM_ROLE_LABELS[r]}
          </option>
        ))}
      </SelectField>
      <div className="flex justify-end gap-2">
        <Button variant="secondary" onClick={onDone}>
          Cancel
        </Button>
        <Button type="submit" disabled={loading || role === user.platformRole}>
          Change role
        </Button>
      </div>
    </form>
  );
}

/** A user's own budget and rate limits: platform admins edit them, co-admins read them. */
export function LimitsDialog({ user, canEdit, onClose }: { user: UserFieldsFragment | null; canEdit: boolean; onClose: () => void }) {
  return (
    <Dialog open={user !== null} onOpenChange={(o) => !o && onClose()} title={user ? `Limits of ${label(user)}` : ""} wide>
      {user && <UserLimitsView key={user.id} user={user} canEdit={canEdit} onDone={onClose} />}
    </Dialog>
  );
}

function UserLimitsView({ user, canEdit, onDone }: { user: UserFieldsFragment; canEdit: boolean; onDone: () => void }) {
  const { data, error, loading, refetch } = useQuery(UserLimitsQuery, { variables: { userId: user.id } });
  const [setUserLimits] = useMutation(SetUserLimitsMutation);
  if (error) return <ErrorState message={errorMessage(error)} onRetry={() => void refetch()} />;
  if (loading && !data) return <LoadingState label="Loading limits" />;
  if (!data) return null;
  const limits = data.userLimits;

  async function save(values: LimitsFormValues) {
    try {
      const { data: result } = await setUserLimits({ variables: { userId: user.id, limits: limitsInput(values, USER_SHAPE) } });
      const refused = limitsPayloadErrors(result?.setUserLimits.errors ?? []);
      if (refused) return refused;
      onDone();
      return null;
    } catch (e) {
      return { form: errorMessage(e) };
    }
  }

  return (
    <div className="space-y-4">
      <SpendSummary name={label(user)} limits={limits} />
      {canEdit ? (
        <LimitsForm label="User limits" submitLabel="Save limits" shape={USER_SHAPE} initial={limitsValuesOf(limits)} onSubmit={save} onCancel={onDone} />
      ) : (
        <Alert tone="info">Only platform admins change a user's limits.</Alert>
      )}
    </div>
  );
}
