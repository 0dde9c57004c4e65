"""The pages of the portal as each role sees them, for the accessibility and reflow walks.

One seeding (a sealed tender beside an awarded one, from the sealing walk; a financial year of
SLI and capital sanctions with payments, from the evidence tests) fills the ids of the URL
resolver's patterns. Each HTML page pattern is filled once, with the first ids that give a page
to somebody; then each role's own test client finds which of those pages it may see (200,
text/html), so the browser visits only real pages, once per pattern per role.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.apps import apps
from django.db import transaction
from django.test import Client

from incentives.models import SanctionLetter
from repm_portal.roles import Role
from tests.bidding import builders
from tests.bidding.test_sealing_walk import Scenario, _fill, url_patterns
from tests.capital.ledgers import firm_user
from tests.evidence.bundles import seed_year

# Downloads, fragments for htmx polling and machine endpoints: not pages a person reads.
NOT_PAGES = re.compile(
    r"(\\\.(csv|pdf|xlsx|json)|advice\\\.|/download/|/file/|/annotated/|/progress/|/status/"
    r"|^health/|^accounts/logout/|\(\?P<action>|/documents/\(|/evidence/\(|/evidence/$"
    r"|\(\?P<period>|/penalty/$)"
)
_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>")
# Paths outside the resolver walk's page patterns that the walks visit too.
EXTRA = ["/api/docs/"]


def seed(staff: builders.Staff, users: dict) -> dict[str, object]:
    """The data the walks stand on; returns the people who visit, by label."""
    # Atomic, as in the tests they come from: some rules are deferred constraints.
    with transaction.atomic():
        scenario = Scenario(staff)
    with transaction.atomic():
        year = seed_year(users)
    firm = firm_user(year["award"])
    people = {
        "anonymous": None,
        "official": staff.official,
        "evaluator": staff.evaluator,
        "verifier": users[Role.VERIFIER],
        "approver": staff.approver,
        "auditor": staff.auditor,
        "admin": staff.admin,
        "firm_user": firm,
        "bidder": scenario.bidders[0],
    }
    return people


def _model_ids(name: str) -> list[str]:
    """Ids of every model whose name ends like the parameter (claim_id: Claim, CapitalClaim…)."""
    stem = name.removesuffix("_id").replace("_", "")
    ids: list[str] = []
    for model in apps.get_models():
        if model._meta.model_name.endswith(stem):
            ids += [
                str(pk) for pk in model.objects.order_by("-pk").values_list("pk", flat=True)[:4]
            ]
    return ids


def _candidates(name: str) -> list[str]:
    letter = SanctionLetter.objects.order_by("pk").first()
    special = {
        "version": ["1"],
        "number": [letter.number] if letter else [],
        "token": [letter.verify_token] if letter else [],
        "slug": [],
        "fy": [],
        "kind": [],
    }
    return special[name] if name in special else _model_ids(name)


def page_patterns() -> list[str]:
    return [
        p
        for p in url_patterns()
        if not p.startswith(("api/", "admin/")) and not NOT_PAGES.search(p)
    ]


def _is_page(response) -> bool:
    return response.status_code == 200 and response.get("Content-Type", "").startswith("text/html")


def _combos(pattern: str, limit: int = 12) -> Iterable[str]:
    import itertools

    names = list(dict.fromkeys(_GROUP.findall(pattern)))
    choices = [_candidates(n) for n in names]
    for n, combo in enumerate(itertools.product(*choices)):
        if n >= limit:
            return
        yield "/" + _fill(pattern, dict(zip(names, combo, strict=True)))


def clients(people: dict) -> dict[str, Client]:
    out = {}
    for label, user in people.items():
        client = Client(raise_request_exception=False)
        if user is not None:
            client.force_login(user)
        out[label] = client
    return out


def pages_by_role(people: dict) -> dict[str, list[str]]:
    """For each role, the page paths (one per pattern) it is shown."""
    by_client = clients(people)
    chosen: dict[str, str] = {}
    for pattern in page_patterns():
        for path in _combos(pattern):
            if any(_is_page(c.get(path)) for c in by_client.values()):
                chosen[pattern] = path
                break
    seen: dict[str, list[str]] = {}
    for label, client in by_client.items():
        paths = [p for p in chosen.values() if _is_page(client.get(p))]
        seen[label] = [*paths, *EXTRA]
    return seen


def first_seen(pages: dict) -> dict[str, list[str]]:
    """Each page once, as the first role that sees it: for the walks whose subject (layout,
    language) does not change with the role."""
    seen: set[str] = set()
    out: dict[str, list[str]] = {}
    for label, paths in pages.items():
        out[label] = [p for p in paths if p not in seen]
        seen.update(paths)
    return out


def session_cookie(client: Client, base_url: str) -> list[dict]:
    if "sessionid" not in client.cookies:
        return []
    return [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": base_url}]
