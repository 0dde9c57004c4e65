"""A read-only page's memo: reads several parts of one page share, made once per page.

The dashboard's panels each ask for the rule set in force, the pools' balances and so on;
inside `scope()` a selector wrapped in `memoized` answers a repeated call (same arguments)
from the first answer instead of querying again. Outside a scope (services, tasks, the API)
nothing is kept: every call reads the database, so a write never sees a stale answer.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Any, TypeVar

_MEMO: ContextVar[dict[tuple, Any] | None] = ContextVar("repm_request_memo", default=None)
F = TypeVar("F", bound=Callable[..., Any])


@contextlib.contextmanager
def scope() -> Iterator[None]:
    """Share the memoized reads made inside (a page that only reads)."""
    token = _MEMO.set({})
    try:
        yield
    finally:
        _MEMO.reset(token)


def active() -> bool:
    return _MEMO.get() is not None


def memoized(function: F) -> F:
    """Answer a repeated call with the same (hashable) arguments inside a `scope()` from the memo."""
    name = f"{function.__module__}.{function.__qualname__}"
    defaults = {
        p.name: p.default
        for p in inspect.signature(function).parameters.values()
        if p.default is not p.empty
    }

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        memo = _MEMO.get()
        if memo is None:
            return function(*args, **kwargs)
        # f() and f(x=default) are one read (cheaply: no binding of the signature on every call).
        key = (name, args, tuple(sorted((defaults | kwargs).items())))
        if key not in memo:
            memo[key] = function(*args, **kwargs)
        return memo[key]

    return wrapper  # type: ignore[return-value]
