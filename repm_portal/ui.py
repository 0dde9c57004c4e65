"""Navigation and dashboard panels that each app registers, so the core never imports an app."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

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
    """A panel's first `n` rows and how many there are, counted only when the `n` shown are not all."""
    first = list(query[:n])
    return first, (len(first) if len(first) < n else query.count())


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
