"""The SDL: committed and current, and every rule readable from it."""

from __future__ import annotations

from graphql import parse
from graphql.language import FieldDefinitionNode, ObjectTypeDefinitionNode

from graphql_schema.export import SDL_PATH, sdl

PERMISSIONS = {"requiresRole", "requiresOrgRole", "requiresAnyOrgRole"}
# Self-service: what any signed-in caller (or anyone, to sign in) may do to themselves.
SELF_SERVICE = {
    *["login", "logout", "changePassword"],
    *["startMfaEnrollment", "confirmMfaEnrollment", "disableMfa"],
}


def test_committed_sdl_is_current() -> None:
    assert SDL_PATH.read_text(encoding="utf-8") == sdl(), "run `just schema` and commit it"


def _fields(type_name: str) -> list[FieldDefinitionNode]:
    document = parse(sdl())
    for definition in document.definitions:
        if isinstance(definition, ObjectTypeDefinitionNode) and definition.name.value == type_name:
            return list(definition.fields or [])
    raise AssertionError(f"no type {type_name}")


def test_every_mutation_carries_a_permission_directive() -> None:
    missing = [
        f.name.value
        for f in _fields("Mutation")
        if f.name.value not in SELF_SERVICE
        and not {d.name.value for d in f.directives or []} & PERMISSIONS
    ]
    assert missing == []


def test_self_service_mutations_still_say_who_may_call_them() -> None:
    rules = {
        f.name.value: {d.name.value for d in f.directives or []}
        for f in _fields("Mutation")
        if f.name.value in SELF_SERVICE
    }
    assert rules.keys() == SELF_SERVICE
    assert rules.pop("login") == {"public"}
    assert all(r == {"requiresSignIn"} for r in rules.values())


PUBLIC_QUERIES = {"signInOptions"}
"""What the sign-in page reads before anyone signs in (no secrets, no tenant data)."""


def test_every_query_needs_at_least_a_signed_in_caller() -> None:
    rules = {f.name.value: {d.name.value for d in f.directives or []} for f in _fields("Query")}
    missing = [
        name
        for name, directives in rules.items()
        if name not in PUBLIC_QUERIES and not directives & (PERMISSIONS | {"requiresSignIn"})
    ]
    assert missing == []
    assert all(rules[name] == {"public"} for name in PUBLIC_QUERIES)


def test_the_walk_sees_fields() -> None:
    assert len(_fields("Mutation")) >= 8 and len(_fields("Query")) >= 5
