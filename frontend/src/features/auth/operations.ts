import { graphql } from "../../gql";

export const ViewerQuery = graphql(`
  query Viewer {
    me {
      kind
      id
      email
      platformRole
      mustChangePassword
      mfaSetupRequired
      orgIds
      orgRoles {
        orgId
        role
      }
      teamRoles {
        teamId
        role
      }
    }
  }
`);

export const LoginMutation = graphql(`
  mutation Login($email: String!, $password: String!, $totpCode: String) {
    login(email: $email, password: $password, totpCode: $totpCode) {
      ok
      mfaRequired
      mustChangePassword
      errors {
        field
        message
        code
      }
    }
  }
`);

export const LogoutMutation = graphql(`
  mutation Logout {
    logout
  }
`);

export const ChangePasswordMutation = graphql(`
  mutation ChangePassword($current: String!, $new: String!) {
    changePassword(current: $current, new: $new) {
      field
      message
      code
    }
  }
`);

export const StartMfaEnrollmentMutation = graphql(`
  mutation StartMfaEnrollment {
    startMfaEnrollment {
      otpauthUri
      secret
    }
  }
`);

export const ConfirmMfaEnrollmentMutation = graphql(`
  mutation ConfirmMfaEnrollment($code: String!) {
    confirmMfaEnrollment(code: $code)
  }
`);

export const SignInOptionsQuery = graphql(`
  query SignInOptions {
    signInOptions {
      oidcEnabled
      oidcLabel
      passwordEnabled
    }
  }
`);
