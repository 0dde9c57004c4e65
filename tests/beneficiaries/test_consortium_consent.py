"""A consortium needs every partner's consent before it can bid (issue 12, hole 1).

The reproduction: as one firm, name another firm's PAN as a 49 % partner and bid as that
consortium; the partner could then no longer bid alone, withdraw or leave.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from beneficiaries import consortia
from beneficiaries.models import Consortium, ConsortiumMember
from bidding.models import Bid
from repm_portal.models import AuditEvent
from tests.bidding import builders
from tests.bidding.builders import Staff, make_bidder, submit
from tests.factories import PASSWORD, FirmUserFactory


@pytest.fixture
def world(rules):
    staff = Staff()
    tender = builders.make_tender(staff)
    deccan, bharat = (
        make_bidder("Deccan Magnets Limited"),
        make_bidder("Bharat Rare Earths Limited"),
    )
    return {"staff": staff, "tender": tender, "deccan": deccan, "bharat": bharat}


def _propose(deccan, bharat_ident: str) -> Consortium:
    return consortia.form_consortium(
        actor=deccan,
        name="Deccan-Bharat",
        lead=deccan.firm,
        members=[(deccan.firm, "51"), (bharat_ident, "49")],
    )


@pytest.mark.django_db
def test_a_consortium_named_without_the_partners_consent_cannot_bid(world):
    deccan, bharat = world["deccan"], world["bharat"]

    # when Deccan names Bharat's PAN as a 49 % partner
    consortium = _propose(deccan, bharat.firm.pan)

    # then the consortium only waits for Bharat; Bharat's place is pending
    assert consortium.status == Consortium.Status.PROPOSED
    place = consortium.members.get(firm=bharat.firm)
    assert place.status == ConsortiumMember.Status.PENDING

    # and Deccan cannot bid as it: the error says why, and no bid is written
    with pytest.raises(ValidationError) as refused:
        submit(deccan, world["tender"], consortium=consortium)
    assert "every partner has accepted" in str(refused.value)
    assert not Bid.objects.filter(tender=world["tender"]).exists()

    # and Bharat can still bid alone
    submit(bharat, world["tender"])
    assert Bid.objects.filter(tender=world["tender"], firm=bharat.firm).exists()


@pytest.mark.django_db
def test_the_partner_declines_and_the_consortium_is_ended_and_audited(world):
    deccan, bharat = world["deccan"], world["bharat"]
    consortium = _propose(deccan, bharat.firm.pan)

    consortia.respond(actor=bharat, consortium=consortium, accept=False)

    consortium.refresh_from_db()
    assert consortium.status == Consortium.Status.DECLINED
    place = consortium.members.get(firm=bharat.firm)
    assert (place.status, place.responded_by) == (ConsortiumMember.Status.DECLINED, bharat)
    actions = set(AuditEvent.objects.filter(actor=bharat).values_list("action", flat=True))
    assert {"consortium_member.declined", "consortium.declined"} <= actions
    # and a declined consortium cannot be revived by a later acceptance
    with pytest.raises(ValidationError, match="no longer waits"):
        consortia.respond(actor=bharat, consortium=consortium, accept=True)


@pytest.mark.django_db
def test_once_every_partner_accepts_the_consortium_is_formed_and_bids(world):
    deccan, bharat = world["deccan"], world["bharat"]
    consortium = _propose(deccan, bharat.firm.pan)

    consortia.respond(actor=bharat, consortium=consortium, accept=True)

    consortium.refresh_from_db()
    assert consortium.status == Consortium.Status.FORMED
    submit(deccan, world["tender"], consortium=consortium)
    bid = Bid.objects.get(tender=world["tender"])
    assert bid.consortium_id == consortium.pk


@pytest.mark.django_db
def test_only_a_user_of_the_partner_firm_answers_for_it(world, users):
    deccan, bharat = world["deccan"], world["bharat"]
    consortium = _propose(deccan, bharat.firm.pan)
    outsider = FirmUserFactory()

    for actor in (outsider, users["official"], users["admin"]):
        with pytest.raises(PermissionDenied):
            consortia.respond(actor=actor, consortium=consortium, accept=True)
    # the lead answering "for" its partner is refused too: its own place is already accepted
    with pytest.raises(ValidationError, match="already accepted"):
        consortia.respond(actor=deccan, consortium=consortium, accept=True)
    assert consortium.members.get(firm=bharat.firm).status == ConsortiumMember.Status.PENDING


@pytest.mark.django_db
def test_the_form_tells_nothing_of_which_identifiers_are_registered(world, client):
    deccan, bharat = world["deccan"], world["bharat"]
    client.login(username=deccan.username, password=PASSWORD)

    def propose(ident: str, name: str):
        return client.post(
            reverse("consortium_new"),
            {"name": name, "lead_share": "51", "partner_1": ident, "partner_1_share": "49"},
            follow=True,
        )

    known = propose(bharat.firm.pan, "With a registered partner")
    unknown = propose("ZZZZZ9999Z", "With an unregistered partner")

    # the same answer, the same page, both proposals pending
    assert known.status_code == unknown.status_code == 200
    said = [[str(m) for m in r.context["messages"]] for r in (known, unknown)]
    assert said[0] == said[1] and "proposed" in said[0][0]
    assert "No registered firm" not in unknown.content.decode()
    statuses = set(Consortium.objects.filter(lead=deccan.firm).values_list("status", flat=True))
    assert statuses == {Consortium.Status.PROPOSED}
    # and the lead's list shows the partner by the identifier it typed, not by the firm's name
    page = client.get(reverse("consortium_list")).content.decode()
    assert bharat.firm.pan in page and bharat.firm.legal_name not in page


@pytest.mark.django_db
def test_the_partner_accepts_on_the_page_and_the_lead_may_withdraw_another(world, client):
    deccan, bharat = world["deccan"], world["bharat"]
    first = _propose(deccan, bharat.firm.pan)
    client.login(username=bharat.username, password=PASSWORD)

    page = client.get(reverse("consortium_list")).content.decode()
    assert "Deccan-Bharat" in page and 'value="accept"' in page
    client.post(reverse("consortium_respond", args=[first.pk]), {"answer": "accept"})
    first.refresh_from_db()
    assert first.status == Consortium.Status.FORMED

    # a user of a firm outside the consortium gets no page for it
    client.login(username=FirmUserFactory().username, password=PASSWORD)
    response = client.post(reverse("consortium_respond", args=[first.pk]), {"answer": "decline"})
    assert response.status_code == 404

    second = consortia.form_consortium(
        actor=deccan,
        name="Second try",
        lead=deccan.firm,
        members=[(deccan.firm, "60"), ("AAAAA1111A", "40")],
    )
    client.login(username=deccan.username, password=PASSWORD)
    client.post(reverse("consortium_withdraw", args=[second.pk]))
    second.refresh_from_db()
    assert second.status == Consortium.Status.WITHDRAWN
