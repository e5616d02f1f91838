"""The admin API: one Strawberry schema merging every domain's queries and mutations."""

from __future__ import annotations

from decimal import Decimal

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.types import Info
from strawberry.types.execution import ExecutionContext

from graphql_schema.budgets.mutations import BudgetMutations
from graphql_schema.budgets.near_limit import NearLimitQueries
from graphql_schema.budgets.queries import BudgetQueries
from graphql_schema.common import EXACT_DECIMAL
from graphql_schema.context import GraphQLContext
from graphql_schema.deployments.groups import ModelGroupQueries
from graphql_schema.deployments.mutations import DeploymentMutations
from graphql_schema.deployments.queries import DeploymentQueries
from graphql_schema.deployments.testing import DeploymentTestMutations, RouterDeploymentQueries
from graphql_schema.document_limits import BoundedValidation
from graphql_schema.errors import ErrorCodes
from graphql_schema.identity.mfa_gate import RequireMfa
from graphql_schema.identity.mutations import IdentityMutations
from graphql_schema.identity.queries import IdentityQueries
from graphql_schema.identity.signin import SignInOptionsQueries
from graphql_schema.identity.types import Viewer
from graphql_schema.keys.admission import AdmissionQueries
from graphql_schema.keys.hygiene import KeyHygieneMutations, KeyHygieneQueries
from graphql_schema.keys.mutations import KeyMutations
from graphql_schema.keys.playground import PlaygroundMutations
from graphql_schema.keys.queries import KeyQueries
from graphql_schema.orgs.members import MemberMutations, MemberQueries
from graphql_schema.orgs.mutations import OrgMutations
from graphql_schema.orgs.queries import OrgQueries
from graphql_schema.permissions import signed_in
from graphql_schema.settings.mutations import SettingsMutations
from graphql_schema.settings.queries import SettingsQueries
from graphql_schema.spend.queries import SpendQueries
from graphql_schema.spend.requests import RequestStatsQueries

__all__ = ["build_schema", "schema"]


@strawberry.type
class Query(
    OrgQueries,
    MemberQueries,
    BudgetQueries,
    NearLimitQueries,
    KeyQueries,
    AdmissionQueries,
    KeyHygieneQueries,
    SpendQueries,
    IdentityQueries,
    DeploymentQueries,
    RouterDeploymentQueries,
    SettingsQueries,
    ModelGroupQueries,
    SignInOptionsQueries,
    RequestStatsQueries,
):
    @strawberry.field(extensions=signed_in())
    def me(self, info: Info[GraphQLContext, None]) -> Viewer:
        return Viewer.of(info.context.require_principal())


@strawberry.type
class Mutation(
    OrgMutations,
    MemberMutations,
    BudgetMutations,
    KeyMutations,
    KeyHygieneMutations,
    PlaygroundMutations,
    IdentityMutations,
    DeploymentMutations,
    DeploymentTestMutations,
    SettingsMutations,
):
    """Every change to the gateway; each one is audited."""


class Schema(strawberry.Schema):
    """Errors are logged once, by :class:`ErrorCodes` (unexpected ones only): a refused
    permission or a bad input is the caller's business, not an operator's."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        return None


# The depth rule is built once: the validation cache is keyed by the rule classes, so
# rules made anew per request would never hit it. It counts depth as the schema's own
# (introspection aside); the document limits bound every walk before it runs.
_LIMIT_RULES = tuple(QueryDepthLimiter(max_depth=10).validation_rules)
_CACHED_DOCUMENTS = 256
"""Parsed documents kept (the console sends the same few over and over)."""


def build_schema() -> strawberry.Schema:
    return Schema(
        query=Query,
        mutation=Mutation,
        config=StrawberryConfig(auto_camel_case=True),
        scalar_overrides={Decimal: EXACT_DECIMAL},
        extensions=[
            ErrorCodes,
            RequireMfa,
            lambda: BoundedValidation(_LIMIT_RULES),
            lambda: MaxTokensLimiter(max_token_count=5000),
            lambda: ParserCache(maxsize=_CACHED_DOCUMENTS),
        ],
    )


schema = build_schema()
