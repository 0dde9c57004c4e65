"""The public pages and OCDS packages, cached (Django's cache, Redis) and invalidated by a version key.

Every cached copy is filed under the current public version. Any save or delete of a row the
public pages read (bidding, firms, the money and open-data apps, rule sets) bumps the version
once its transaction commits (`transaction.on_commit`), so the next visitor sees the change.
A copy also expires after `PUBLIC_CACHE_SECONDS` at most, and earlier when a tender's next
scheduled moment (bids due, an opening) falls sooner: the phase a page shows moves with the clock.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from collections.abc import Callable, Iterable
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.db import models, transaction
from django.db.models.signals import post_delete, post_save
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

VERSION_KEY = "public:version"
# Apps whose rows the public tender pages, OCDS releases and records show.
WATCHED_APPS = (
    "bidding",
    "beneficiaries",
    "incentives",
    "gestation",
    "payments",
    "recovery",
    "opendata",
)
WATCHED_MODELS = ("repm_portal.RuleSet", "repm_portal.CapacitySlab")
# High-volume rows no public page shows (sessions, log-in attempts, job progress) are not watched.


def seconds() -> int:
    return int(getattr(settings, "PUBLIC_CACHE_SECONDS", 300))


def version() -> int:
    current = cache.get(VERSION_KEY)
    if current is None:
        cache.add(VERSION_KEY, 1, timeout=None)
        current = cache.get(VERSION_KEY, 1)
    return int(current)


def bump() -> None:
    """Make every cached public copy stale (called on commit of a change)."""
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # no version yet: nothing was cached under one
        cache.add(VERSION_KEY, 1, timeout=None)


def _changed(sender, **kwargs) -> None:
    # robust: the change is committed whatever the cache says; a failed bump is logged, not raised.
    transaction.on_commit(bump, robust=True)


def watched_models() -> Iterable[type[models.Model]]:
    for label in WATCHED_APPS:
        yield from apps.get_app_config(label).get_models()
    for name in WATCHED_MODELS:
        yield apps.get_model(name)


def connect() -> None:
    for model in watched_models():
        uid = f"public-cache-{model._meta.label}"
        post_save.connect(_changed, sender=model, dispatch_uid=f"{uid}-save")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"{uid}-delete")


def timeout_for(tenders: Iterable[Any], *, now: dt.datetime | None = None) -> int:
    """`seconds()`, or less if one of the tenders reaches a scheduled moment sooner."""
    now = now or timezone.now()
    limit = seconds()
    for tender in tenders:
        for field in tender._meta.concrete_fields:
            if isinstance(field, models.DateTimeField):
                moment = getattr(tender, field.attname)
                if moment is not None and moment > now:
                    limit = min(limit, int((moment - now).total_seconds()) + 1)
    return max(1, limit)


def key(kind: str, *parts: object) -> str:
    digest = hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()[:32]
    return f"public:{version()}:{kind}:{digest}"


def cached_data(kind: str, parts: tuple, build: Callable[[], tuple[Any, int]]) -> Any:
    """`build()` -> (data, timeout), kept under `kind` and `parts` until the version moves."""
    name = key(kind, *parts)
    found = cache.get(name)
    if found is not None:
        return found
    data, timeout = build()
    cache.set(name, data, timeout=timeout)
    return data


def anonymous_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Serve an anonymous GET of the page from the cache; signed-in users always get it fresh.

    The view sets `request.public_cache_timeout` (seconds) to say how long its page may be kept;
    the cached copy is the body alone, so no visitor's cookies travel with it.
    """

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        # A query (a commitment to check) is answered fresh: only the plain page is kept.
        if request.method != "GET" or request.GET or request.user.is_authenticated:
            return view(request, *args, **kwargs)
        name = key("page", request.build_absolute_uri(), request.headers.get("HX-Request", ""))
        found = cache.get(name)
        if found is not None:
            body, content_type = found
            return HttpResponse(body, content_type=content_type)
        request.public_cached = True  # type: ignore[attr-defined]  # base.html: no CSRF token
        response = view(request, *args, **kwargs)
        if response.status_code == 200 and not response.streaming and not response.cookies:
            timeout = getattr(request, "public_cache_timeout", seconds())
            cache.set(name, (response.content, response["Content-Type"]), timeout=timeout)
        return response

    return wrapper
