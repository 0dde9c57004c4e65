"""A signed-in viewer's read-only pages, kept for that viewer until the database changes.

The dashboards, the main lists and the API's list endpoints read a great deal and change only
when somebody writes. A GET of a view marked `@viewer_cached` (or any API list) is answered
from Django's cache (Redis) when the same viewer asked for the same URL, in the same language,
at the same count of the database's changes and in the same minute of the portal's clock:

- **The change count** is a counter in the cache, one per database, moved after every commit
  that wrote. Every statement this process sends passes an execute wrapper (installed on each
  new connection); a write (anything but a SELECT, SHOW, SET or savepoint) asks for a move on
  commit, or at once outside a transaction. The counter is read before the page, and moves
  only after the commit, so a copy is never older than its key: the data it was read from is
  at least as new as the count. COPY (psycopg2's `copy_expert`, which no wrapper sees) calls
  `changed()` itself. A change made outside the portal (psql) shows when the copy expires.
- **The viewer** is the session, the CSRF cookie (the page's forms carry a token for it) and
  the user: one person's copy is never another's, and signing out leaves it unreachable.
- **The minute** keeps pages whose phase moves with the clock (bids due, an opening) fresh.

Never kept: anything but a plain 200, a response that sets a cookie (but the CSRF cookie
renewed as it came), a page with a message to show, a request made with an API token
(`Authorization`), and a request inside a transaction (a test's, or ATOMIC_REQUESTS: its own
uncommitted writes have not moved the count). `VIEWER_CACHE_SECONDS = 0` turns it off. A copy
answered from the cache says so in `X-Viewer-Cache: hit`.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.db import connection, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.utils import timezone, translation

logger = logging.getLogger(__name__)
KEY_PREFIX = "viewer"
# Headers a copy keeps; the middleware outside this one adds its own (CSP, Vary, frame options).
KEPT_HEADERS = ("Content-Type", "Content-Language", "Content-Disposition", "Allow")


def viewer_cached(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Mark a read-only view whose GET may be answered from the viewer's cached copy."""
    view.viewer_cached = True  # type: ignore[attr-defined]
    return view


def seconds() -> int:
    return int(getattr(settings, "VIEWER_CACHE_SECONDS", 60))


def _is_marked(view_func: Any) -> bool:
    if getattr(view_func, "viewer_cached", False):
        return True
    # An API list (DRF's router view: the viewset's class and its actions).
    actions = getattr(view_func, "actions", None) or {}
    return actions.get("get") == "list" and hasattr(view_func, "cls")


# A counter lives a day (so a test run's go too); the next starts from the clock, past any
# count the last one reached.
COUNTER_SECONDS = 24 * 3600
# Statements that change nothing another transaction can see; anything else counts as a write.
_READS = ("SELECT", "SHOW", "SET", "SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN", "EXPLAIN")


def _counter_key(database: str) -> str:
    return f"{KEY_PREFIX}:changes:{database}"


def change_count(alias: str = "default") -> int:
    """How many committed changes of the database the cache has been told of."""
    name = _counter_key(connections[alias].settings_dict["NAME"])
    found = cache.get(name)
    if found is None:
        # A fresh (flushed or evicted) counter starts from the clock, never from a count an
        # earlier copy may still be filed under.
        cache.add(name, time.time_ns(), timeout=COUNTER_SECONDS)
        found = cache.get(name, 0)
    return int(found)


class ChangeMove:
    """One move of the counter for one commit, however many writes asked for it."""

    __slots__ = ("conn", "done")

    def __init__(self, conn: BaseDatabaseWrapper):
        self.conn, self.done = conn, False

    def __call__(self) -> None:
        if self.done:
            return
        self.done = True
        if getattr(self.conn, "_viewer_move", None) is self:
            self.conn._viewer_move = None  # type: ignore[attr-defined]
        name = _counter_key(self.conn.settings_dict["NAME"])
        try:
            try:
                cache.incr(name)
            except ValueError:  # no counter yet: nothing is filed under one
                cache.add(name, time.time_ns(), timeout=COUNTER_SECONDS)
        except Exception:  # the write is committed whatever the cache says
            # A copy read before this change may be answered until it expires (VIEWER_CACHE_SECONDS).
            logger.exception("The viewer cache's change count did not move")


def changed(using: str | BaseDatabaseWrapper = "default") -> None:
    """Move the change count once the connection's transaction commits (at once outside one).

    `using` is an alias or the connection itself: a second connection to the same database
    (a job's progress, written while the first is inside a long transaction) commits apart.
    """
    conn = connections[using] if isinstance(using, str) else using
    if not conn.in_atomic_block:
        ChangeMove(conn)()
        return
    move = getattr(conn, "_viewer_move", None)
    if move is None or move.done:
        move = conn._viewer_move = ChangeMove(conn)  # type: ignore[attr-defined]
    # Asked for again unless the last request queued is this move's, from this savepoint or
    # one around it (it is dropped only with a rollback that drops this write too). Django's
    # queue is (savepoint ids, callback, robust); a rolled-back transaction empties it.
    queued = getattr(conn, "run_on_commit", None)
    if queued and queued[-1][1] is move and queued[-1][0] <= set(conn.savepoint_ids):
        return
    conn.on_commit(move, robust=True)


def _watch_writes(execute, sql, params, many, context):
    result = execute(sql, params, many, context)
    conn = context["connection"]
    # The head alone (a bulk INSERT can be megabytes); an unreadable one counts as a write.
    statement = sql[:64].lstrip()[:9].upper() if isinstance(sql, str) else ""
    # Django's own database-less connection (creating a database) is none of the pages' data.
    if conn.alias in settings.DATABASES and not statement.startswith(_READS):
        changed(conn)
    return result


def watch(sender, connection, **kwargs) -> None:
    """connection_created: every statement of the new connection passes `_watch_writes`."""
    if _watch_writes not in connection.execute_wrappers:
        connection.execute_wrappers.append(_watch_writes)


def _pending_messages(request: HttpRequest) -> bool:
    # len() loads the stored messages without marking them shown.
    return bool(len(messages.get_messages(request)))


def key_for(request: HttpRequest) -> str | None:
    """The cache key of this request's copy, or None when it must be answered fresh."""
    if (
        request.method != "GET"
        or seconds() <= 0
        or connection.vendor != "postgresql"
        or connection.in_atomic_block
        or "Authorization" in request.headers
    ):
        return None
    user = request.user
    if not user.is_authenticated or _pending_messages(request):
        return None
    try:
        count = change_count()
    except Exception:  # no cache to read: the page is answered fresh
        logger.exception("The viewer cache's change count could not be read")
        return None
    parts = (
        count,
        timezone.now().strftime("%Y-%m-%dT%H:%M"),
        request.session.session_key or "",
        request.COOKIES.get(settings.CSRF_COOKIE_NAME, ""),
        user.pk,
        translation.get_language() or "",
        request.get_full_path(),
        request.headers.get("HX-Request", ""),
        request.headers.get("Accept", ""),
    )
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()
    return f"{KEY_PREFIX}:{digest}"


class ViewerCacheMiddleware:
    """Last in MIDDLEWARE: answers a marked view from the cache, or keeps its fresh answer."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        name = getattr(request, "_viewer_cache_key", None)
        if name and self._keepable(request, response):
            headers = {h: response[h] for h in KEPT_HEADERS if h in response}
            try:
                cache.set(name, (response.content, headers), timeout=seconds())
            except Exception:  # the page is answered all the same, only not kept
                logger.exception("A viewer's page could not be kept")
        return response

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        if not _is_marked(view_func):
            return None
        name = key_for(request)
        if name is None:
            return None
        try:
            found = cache.get(name)
        except Exception:  # no cache to read: the page is answered fresh
            logger.exception("A viewer's page could not be read from the cache")
            return None
        if found is None:
            request._viewer_cache_key = name  # type: ignore[attr-defined]
            return None
        content, headers = found
        if settings.CSRF_COOKIE_NAME in request.COOKIES:
            # The forms in the copy use it: renew its expiry as a fresh page does.
            get_token(request)
        response = HttpResponse(content)
        for header, value in headers.items():
            response[header] = value
        response["X-Viewer-Cache"] = "hit"
        return response

    @staticmethod
    def _keepable(request: HttpRequest, response: HttpResponse) -> bool:
        # A message the view queued belongs to this answer only.
        storage = getattr(request, "_messages", None)
        return (
            not getattr(storage, "_queued_messages", None)
            and response.status_code == 200
            and not response.streaming
            and _only_renews_csrf(request, response)
        )


def _only_renews_csrf(request: HttpRequest, response: HttpResponse) -> bool:
    """No cookie is set but the CSRF cookie, sent again as it came to renew its expiry.

    A page with a form does that on every answer; a new cookie (a new CSRF secret, a session,
    the language) would make the copy somebody else's.
    """
    name = settings.CSRF_COOKIE_NAME
    if any(cookie != name for cookie in response.cookies):
        return False
    return name not in response.cookies or (
        response.cookies[name].value == request.COOKIES.get(name)
    )
