"""Navigation and dashboard panels that each app registers, so the core never imports an app."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Func, IntegerField, Subquery, Value, Window

from repm_portal import request_memo
from repm_portal.roles import role_of


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    roles: frozenset[str]
    order: int = 100


@dataclass(frozen=True)
class Panel:
    title: str
    template: str
    roles: frozenset[str]
    context: Callable[[Any], dict[str, Any]] = field(default=lambda user: {})
    order: int = 100


_NAV: list[NavItem] = []
_PANELS: list[Panel] = []


def register_nav(label: str, url_name: str, roles: Iterable[str], order: int = 100) -> None:
    item = NavItem(label, url_name, frozenset(roles), order)
    if item not in _NAV:
        _NAV.append(item)


def register_panel(
    title: str,
    template: str,
    roles: Iterable[str],
    context: Callable[[Any], dict[str, Any]] | None = None,
    order: int = 100,
) -> None:
    panel = Panel(title, template, frozenset(roles), context or (lambda user: {}), order)
    if all(p.template != template for p in _PANELS):
        _PANELS.append(panel)


def first_and_count(query, n: int) -> tuple[list[Any], int]:
    """A panel's first `n` rows and how many there are, in one query: the rows carry the count
    (a window over the whole query, computed before the limit)."""
    if query.query.distinct or query.query.combinator:
        # DISTINCT comes after the window, which would count the duplicates: count apart.
        first = list(query[:n])
        return first, (len(first) if len(first) < n else query.count())
    first = list(query.annotate(panel_total=Window(Count("*")))[:n])
    return first, (first[0].panel_total if first else 0)


def count_of(query) -> Subquery:
    """How many rows `query` has, as a scalar subquery: a count another panel query carries."""
    if query.query.distinct or query.query.group_by is not None:
        # Rows of a grouped or distinct query are counted through their keys.
        query = query.model._base_manager.filter(pk__in=query.values("pk"))
    return Subquery(
        query.order_by().values(n=Func(Value(1), function="COUNT")),
        output_field=IntegerField(),
    )


def nav_for(user) -> list[NavItem]:
    role = role_of(user)
    return sorted((n for n in _NAV if role in n.roles), key=lambda n: (n.order, n.label))


def panels_for(user) -> list[tuple[Panel, dict[str, Any]]]:
    role = role_of(user)
    chosen = sorted((p for p in _PANELS if role in p.roles), key=lambda p: (p.order, p.title))
    # The panels only read: what several of them ask for (the rule set in force, the pools'
    # balances) is read once for all of them.
    with request_memo.scope():
        return [(p, p.context(user)) for p in chosen]
