"""``general_settings.require_mfa_for_admins``: admins without MFA may only set it up.

A platform admin or co-admin whose session has not passed MFA (see
:attr:`~app.auth.principal.Principal.mfa_pending`) gets ``MFA_REQUIRED`` on every
operation but the few that lead to MFA: signing in and out, ``me``, changing a forced
password, and the two enrollment steps.
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLResolveInfo
from strawberry.extensions import SchemaExtension

from app.errors import PermissionDeniedError

__all__ = ["OPEN_WITHOUT_MFA", "RequireMfa"]

OPEN_WITHOUT_MFA = frozenset(
    {"me", "login", "logout", "changePassword", "startMfaEnrollment", "confirmMfaEnrollment"}
)


class RequireMfa(SchemaExtension):
    def resolve(
        self, _next: Any, root: Any, info: GraphQLResolveInfo[Any], *args: Any, **kwargs: Any
    ) -> Any:
        if info.path.prev is None and info.field_name not in OPEN_WITHOUT_MFA:
            principal = getattr(info.context, "principal", None)
            if (
                principal is not None
                and principal.mfa_pending
                and not principal.must_change_password
                and not info.field_name.startswith("__")
            ):
                raise PermissionDeniedError(
                    "Set up MFA first (startMfaEnrollment, then confirmMfaEnrollment): "
                    "administrators must use it.",
                    code="mfa_required",
                )
        return _next(root, info, *args, **kwargs)
