"""The browsable API's forms and filter drop-downs offer only what the caller may see (issue 12, hole 4).

The reproduction: with `Accept: text/html`, a firm user's forms and filters on the bid,
payment, guarantee, milestone, capital-claim and plant endpoints listed every tender (a draft
too), every award and every firm's plant. The walk visits every API route of the resolver
that takes no parameter, and the bid action of the firm's tender, as each role, and reads
every <option> offered.
"""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from bidding.models import Tender
from repm_portal.roles import Role
from tests.factories import AwardFactory, FirmUserFactory, PlantFactory, TenderFactory

OPTION = re.compile(r"<option[^>]*value=\"([^\"]*)\"[^>]*>(.*?)</option>", re.S)


def api_routes() -> list[str]:
    """Every API route of the resolver that takes no parameter (list and create endpoints)."""

    def walk(patterns, prefix: str):
        for entry in patterns:
            fragment = entry.pattern.regex.pattern.removeprefix("^").removesuffix("$")
            fragment = fragment.removesuffix("\\Z")
            if isinstance(entry, URLResolver):
                yield from walk(entry.url_patterns, prefix + fragment)
            elif isinstance(entry, URLPattern) and "(?P<" not in prefix + fragment:
                yield "/" + prefix + fragment

    routes = {r for r in walk(get_resolver().url_patterns, "") if r.startswith("/api/")}
    return sorted(r for r in routes if not any(x in r for x in ("schema", "docs", "\\.")))


@pytest.fixture
def world(rules):
    mine = AwardFactory(tender__reference="MINE/REPM/0001")
    theirs = AwardFactory(tender__reference="THEIRS/REPM/0002")
    PlantFactory(award=mine, name="Our Own Plant")
    PlantFactory(award=theirs, name="Their Secret Plant")
    draft = TenderFactory(reference="DRAFT/UNPUBLISHED/9", status=Tender.Status.DRAFT)
    user = FirmUserFactory(firm=mine.bid.firm)
    return {"mine": mine, "theirs": theirs, "draft": draft, "user": user}


def _options(client, url: str) -> list[str]:
    response = client.get(url, HTTP_ACCEPT="text/html")
    if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
        return []
    return [
        unescape(re.sub(r"<[^>]+>", "", text)).strip()
        for _, text in OPTION.findall(response.content.decode())
    ]


@pytest.mark.django_db
def test_a_firms_api_forms_offer_nothing_of_another_firm_or_a_draft(world, client):
    client.force_login(world["user"])
    mine, theirs = world["mine"], world["theirs"]
    urls = [*api_routes(), f"/api/tenders/{mine.tender_id}/bid/"]
    offered: dict[str, list[str]] = {url: _options(client, url) for url in urls}

    everything = "\n".join(f"{url}: {o}" for url, opts in offered.items() for o in opts)
    # (a published tender's reference is public; another firm's award, plant and name are not)
    for secret in (str(theirs), "Their Secret Plant", "DRAFT/UNPUBLISHED/9",
                   str(theirs.bid.firm.legal_name)):  # fmt: skip
        assert secret not in everything, f"{secret} offered to a firm:\n{everything}"
    # and the walk did read forms with choices: the firm's own award and plant are offered
    assert "Our Own Plant" in everything and str(mine) in everything


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.OFFICIAL, Role.AUDITOR])
def test_staff_who_read_everything_are_offered_every_firm(world, client, users, role):
    client.force_login(users[role])
    everything = "\n".join(o for url in api_routes() for o in _options(client, url))
    assert "Their Secret Plant" in everything and str(world["theirs"]) in everything


@pytest.mark.django_db
def test_scope_cuts_a_queryset_to_the_callers_own(world, users):
    from bidding.models import Award
    from repm_portal.scoping import scope

    assert list(scope(Award.objects.all(), world["user"])) == [world["mine"]]
    assert set(scope(Award.objects.all(), users[Role.OFFICIAL])) == {world["mine"], world["theirs"]}


@pytest.mark.django_db
def test_a_related_id_is_checked_against_the_callers_scope(world, api_client, users):
    # an official opens gestation on an award it sees: the scoped field accepts it
    theirs = AwardFactory(tender__reference="OPEN/REPM/0003")
    api_client.force_authenticate(users[Role.OFFICIAL])
    response = api_client.post("/api/plants/", {"award": theirs.pk, "name": "New"}, format="json")
    assert response.status_code == 201, response.content
    # and an id of nothing is refused as unknown, not as a server error
    response = api_client.post("/api/plants/", {"award": 999999, "name": "New"}, format="json")
    assert response.status_code == 400 and "award" in response.json()
