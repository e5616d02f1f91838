"""What the sign-in page may offer, readable before anyone signs in."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from graphql_schema.context import GraphQLContext
from graphql_schema.permissions import public

__all__ = ["SignInOptions", "SignInOptionsQueries"]

Ctx = Info[GraphQLContext, Any]


@strawberry.type
class SignInOptions:
    """``oidcEnabled``: ``/auth/login`` starts single sign-on (``oidcLabel`` names the
    provider for its button, when configured); ``passwordEnabled``: e-mail and password
    sign-in (``signIn``) is accepted."""

    oidc_enabled: bool
    oidc_label: str | None
    password_enabled: bool


@strawberry.type
class SignInOptionsQueries:
    @strawberry.field(extensions=public())
    def sign_in_options(self, info: Ctx) -> SignInOptions:
        sso = info.context.runtime.sso
        return SignInOptions(
            oidc_enabled=sso.enabled,
            oidc_label=sso.settings.label if sso.enabled else None,
            password_enabled=True,
        )
