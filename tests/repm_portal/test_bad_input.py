"""Bad input answers 4xx, never 500 (issue 12, hole 7).

The reproduction: a non-numeric id in the URL of eleven API operations
(`/api/tenders/abc/ocds/`, `/commitments/`, `/bid/`, `/api/receipts/abc/`, ...) answered 500,
two of them without login. The walk tries every API route that takes an id, with a word and
with a number past bigint, for each method it allows, as nobody, an official and a firm user.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from repm_portal.roles import Role

PARAM = re.compile(r"\(\?P<(\w+)>[^)]*\)")
BAD_IDS = ["abc", "1e3", "9" * 20]


def id_routes() -> list[str]:
    """Every API route that takes a parameter, as a template with `{}` for each one."""

    def walk(patterns, prefix: str):
        for entry in patterns:
            fragment = entry.pattern.regex.pattern.removeprefix("^").removesuffix("$")
            fragment = fragment.removesuffix("\\Z")
            if isinstance(entry, URLResolver):
                yield from walk(entry.url_patterns, prefix + fragment)
            elif isinstance(entry, URLPattern) and "(?P<" in prefix + fragment:
                yield "/" + prefix + fragment

    routes = set()
    for route in walk(get_resolver().url_patterns, ""):
        if not route.startswith("/api/") or "\\." in route or "(?P<format>" in route:
            continue
        routes.add(PARAM.sub("{}", route).replace("\\", ""))
    return sorted(routes)


def test_the_walk_covers_the_reported_routes():
    routes = id_routes()
    for reported in (
        "/api/tenders/{}/ocds/",
        "/api/tenders/{}/commitments/",
        "/api/tenders/{}/bid/",
        "/api/receipts/{}/",
        "/api/claim-uploads/{}/",
        "/api/claim-uploads/{}/rerun/",
        "/api/sales-claims/{}/",
        "/api/milestones/{}/accept/",
        "/api/milestones/{}/verify/",
        "/api/milestones/{}/return/",
        "/api/milestones/{}/submit/",
    ):
        assert reported in routes


@pytest.mark.parametrize("role", [None, Role.OFFICIAL, Role.FIRM_USER])
def test_a_bad_id_in_any_api_url_answers_4xx(users, role, private_cache):
    client = Client(raise_request_exception=False)
    if role:
        client.force_login(users[role])
    failures = []
    for route in id_routes():
        for bad in BAD_IDS:
            url = route.format(*[bad] * route.count("{}"))
            for method in ("get", "post", "put", "patch", "delete"):
                response = getattr(client, method)(url)
                if response.status_code >= 500:
                    failures.append(f"{method.upper()} {url} -> {response.status_code}")
    assert failures == []
