"""Bounds on a GraphQL document, checked in one linear pass before any validation rule.

Validation rules walk fragments per spread: a document of 40 fragments that each spread
the next twice expands to 2^40 selections from 1.7 KB of text. Here every fragment is
measured once (memoised), with saturating counts, so the cost is linear in the document
whatever it expands to; over a limit, the document is refused before the library's rules
(or the depth and alias limiters) ever see it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache

from graphql import (
    ASTValidationRule,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

__all__ = ["BoundedValidation", "DocumentLimits", "check_document"]


@dataclass(frozen=True, slots=True)
class DocumentLimits:
    max_length: int = 32 * 1024
    """Characters in the document's text, checked before it is parsed."""
    max_fragments: int = 100
    """Fragment definitions in one document."""
    max_spreads: int = 500
    """Fragment spreads written in one document."""
    max_aliases: int = 30
    """Aliases written in one document (each asks for one more copy of a field)."""
    max_selections: int = 2_000
    """Fields an operation (or a fragment) selects once every fragment is expanded."""
    max_depth: int = 24
    """Nesting of fields through fragments, introspection included."""
    max_same_name: int = 30
    """Fields answering under one name in one selection set, fragments expanded: the
    overlapping-fields rule compares each pair of them."""


@dataclass(slots=True)
class _Shape:
    """What one selection set expands to. Fields answering under one name merge, as the
    overlapping-fields rule merges them: their sub-selections are compared as one."""

    selections: int = 0
    depth: int = 0
    names: Counter[str] = field(default_factory=Counter)
    children: dict[str, _Shape] = field(default_factory=dict)


class _TooComplex(Exception):
    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason


class _Measure:
    def __init__(self, document: DocumentNode, limits: DocumentLimits) -> None:
        self._limits = limits
        self._fragments: dict[str, FragmentDefinitionNode] = {}
        self._shapes: dict[str, _Shape] = {}
        self._open: set[str] = set()
        for definition in document.definitions:
            if isinstance(definition, FragmentDefinitionNode):
                self._fragments.setdefault(definition.name.value, definition)

    def fragment(self, name: str) -> _Shape:
        shape = self._shapes.get(name)
        if shape is not None:
            return shape
        definition = self._fragments.get(name)
        if definition is None:
            return _Shape()  # unknown fragment: the validation rules name it
        if name in self._open:
            raise _TooComplex(f'Fragment "{name}" spreads itself.', "fragment_cycle")
        self._open.add(name)
        shape = self.selection_set(definition.selection_set, 0)
        self._open.discard(name)
        self._shapes[name] = shape
        return shape

    def selection_set(self, node: SelectionSetNode, level: int) -> _Shape:
        limits = self._limits
        if level >= limits.max_depth:
            raise _TooComplex(f"The query nests deeper than {limits.max_depth} levels.", "too_deep")
        shape = _Shape()
        for selection in node.selections:
            if isinstance(selection, FieldNode):
                name = (selection.alias or selection.name).value
                part = _Shape(selections=1, names=Counter({name: 1}))
                if selection.selection_set is not None:
                    child = self.selection_set(selection.selection_set, level + 1)
                    part.selections += child.selections
                    part.depth = child.depth + 1
                    part.children[name] = child
            elif isinstance(selection, FragmentSpreadNode):
                part = self.fragment(selection.name.value)
            elif isinstance(selection, InlineFragmentNode):
                part = self.selection_set(selection.selection_set, level)
            else:  # pragma: no cover - the parser makes no other selection
                continue
            self._merge(shape, part, level)
        return shape

    def _merge(self, into: _Shape, part: _Shape, level: int) -> None:
        """Add ``part`` to ``into`` (a shape being built; ``part`` is never changed, as
        fragments' shapes are shared)."""
        limits = self._limits
        into.selections = min(into.selections + part.selections, limits.max_selections + 1)
        if into.selections > limits.max_selections:
            raise _TooComplex(
                f"The query selects more than {limits.max_selections} fields once its "
                "fragments are expanded.",
                "too_many_selections",
            )
        if level + part.depth >= limits.max_depth:
            raise _TooComplex(f"The query nests deeper than {limits.max_depth} levels.", "too_deep")
        into.depth = max(into.depth, part.depth)
        self._add_names(into, part)

    def _add_names(self, into: _Shape, part: _Shape) -> None:
        limit = self._limits.max_same_name
        for name, count in part.names.items():
            total = into.names[name] + count
            if total > limit:
                raise _TooComplex(
                    f'More than {limit} fields answer as "{name}" in one selection set, '
                    "fragments and same-named fields merged.",
                    "too_many_same_name",
                )
            into.names[name] = total
        for name, child in part.children.items():
            mine = into.children.get(name)
            if mine is None:
                into.children[name] = child
            else:
                merged = _Shape(names=Counter(mine.names), children=dict(mine.children))
                self._add_names(merged, child)
                into.children[name] = merged


@dataclass(slots=True)
class _Written:
    """What the document's text holds, before any expansion."""

    fragments: int = 0
    spreads: int = 0
    aliases: int = 0


def _written(document: DocumentNode) -> _Written:
    counts = _Written()
    stack: list[SelectionSetNode] = []
    for definition in document.definitions:
        if isinstance(definition, FragmentDefinitionNode):
            counts.fragments += 1
        if isinstance(definition, OperationDefinitionNode | FragmentDefinitionNode):
            stack.append(definition.selection_set)
    while stack:
        for selection in stack.pop().selections:
            if isinstance(selection, FragmentSpreadNode):
                counts.spreads += 1
                continue
            if isinstance(selection, FieldNode) and selection.alias is not None:
                counts.aliases += 1
            children = getattr(selection, "selection_set", None)
            if children is not None:
                stack.append(children)
    return counts


def _first_problem(document: DocumentNode, limits: DocumentLimits) -> _TooComplex | None:
    written = _written(document)
    for count, limit, what, reason in (
        (written.fragments, limits.max_fragments, "fragment definitions", "too_many_fragments"),
        (written.spreads, limits.max_spreads, "fragment spreads", "too_many_spreads"),
        (written.aliases, limits.max_aliases, "aliases", "too_many_aliases"),
    ):
        if count > limit:
            return _TooComplex(
                f"The document has {count} {what}; at most {limit} are allowed.", reason
            )
    measure = _Measure(document, limits)
    try:
        for definition in document.definitions:
            if isinstance(definition, OperationDefinitionNode):
                measure.selection_set(definition.selection_set, 0)
            elif isinstance(definition, FragmentDefinitionNode):
                measure.fragment(definition.name.value)
    except _TooComplex as problem:
        return problem
    return None


def check_document(document: DocumentNode, limits: DocumentLimits) -> GraphQLError | None:
    """The first limit ``document`` breaks, as a validation error, or ``None``."""
    problem = _first_problem(document, limits)
    return None if problem is None else _error(problem)


def _error(problem: _TooComplex) -> GraphQLError:
    return GraphQLError(
        problem.message,
        extensions={"code": "GRAPHQL_VALIDATION_FAILED", "reason": problem.reason},
    )


def _validate(
    schema: GraphQLSchema, document: DocumentNode, rules: tuple[type[ASTValidationRule], ...]
) -> list[GraphQLError]:
    problem = check_document(document, _LIMITS)
    return [problem] if problem is not None else validate_document(schema, document, rules)


_LIMITS = DocumentLimits()
_CACHED_DOCUMENTS = 256
"""Validated documents kept (the console sends the same few over and over)."""
_cached_validate = lru_cache(maxsize=_CACHED_DOCUMENTS)(_validate)


class BoundedValidation(SchemaExtension):
    """The document's length is checked before parsing, its shape before validation, and
    validation is cached per document.

    ``rules`` are added to the library's; they must be built once (the cache is keyed by
    the rule classes, so rules made anew per request would never hit it)."""

    def __init__(self, rules: tuple[type[ASTValidationRule], ...]) -> None:
        self._rules = rules

    def on_parse(self) -> Iterator[None]:
        query = self.execution_context.query
        if query is not None and len(query) > _LIMITS.max_length:
            raise _error(
                _TooComplex(
                    f"The document is {len(query)} characters long; at most "
                    f"{_LIMITS.max_length} are allowed.",
                    "document_too_long",
                )
            )
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        assert context.graphql_document is not None
        context.pre_execution_errors = _cached_validate(
            context.schema._schema,
            context.graphql_document,
            (*context.validation_rules, *self._rules),
        )
        yield
