import { PlatformRole } from "../../gql/graphql";

export interface InviteValues {
  email: string;
  displayName: string;
  role: PlatformRole;
}

export type InviteField = keyof InviteValues;
export type InviteErrors = Partial<Record<InviteField | "form", string>>;

export const EMPTY_INVITE: InviteValues = { email: "", displayName: "", role: PlatformRole.OrgUser };

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function validateInvite(values: InviteValues): InviteErrors {
  const errors: InviteErrors = {};
  const email = values.email.trim();
  if (email === "") errors.email = "An e-mail address is required.";
  else if (!EMAIL.test(email)) errors.email = "Not an e-mail address.";
  if (values.displayName.trim().length > 200) errors.displayName = "At most 200 characters.";
  return errors;
}

/** The API's payload errors on the invite form's fields (the rest above the form). */
export function invitePayloadErrors(errors: ReadonlyArray<{ field?: string | null; message: string }>): InviteErrors | null {
  if (errors.length === 0) return null;
  const found: InviteErrors = {};
  for (const error of errors) {
    const field = error.field as InviteField | null | undefined;
    if (field && field in EMPTY_INVITE) found[field] = error.message;
    else found.form = found.form ? `${found.form} ${error.message}` : error.message;
  }
  return found;
}
