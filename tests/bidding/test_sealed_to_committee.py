"""Sealed covers only the committee's quorum can open (issue 13): nothing the server holds opens one.

A tender's covers are sealed to its public key; its private key is split k-of-n among the
committee, each share sealed to a member's personal key, which only the member's passphrase
unlocks. These tests try everything the server holds, k-1 shares, k shares, a wrong passphrase
and a committee change.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import datetime as dt
import os
from decimal import Decimal

import pytest
import time_machine
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import models
from django.test import Client

from bidding import sealing, services, threshold
from bidding.models import (
    Bid,
    CoverOpening,
    KeyShare,
    MemberOpeningKey,
    OpenedCover,
    OpeningConfirmation,
    PendingShare,
    Stage,
    Tender,
    TenderKey,
    TenderOpeningKey,
)
from bidding.services.opening_keys import locked
from repm_portal.models import AuditEvent
from repm_portal.roles import Role
from tests.bidding.builders import (
    BEFORE_DUE,
    FIN_TIME,
    PASSPHRASE,
    TECH_TIME,
    evaluate,
    give_opening_keys,
    make_bidder,
    make_tender,
    open_stage,
    rebuild_tender_key,
    submit,
)
from tests.bidding.unchanged import unchanged
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

RATES = ("1850.00", "1900.00", "1933.33")


@pytest.fixture
def quorum_three(staff):
    """A committee of four with a quorum of three, and a tender with three sealed bids."""
    staff.committee = [*staff.committee, staff.evaluator]
    give_opening_keys(staff.committee)
    draft = make_tender(staff, publish=False)
    Tender.objects.filter(pk=draft.pk).update(opening_quorum=3)
    services.publish_tender(actor=staff.official, tender=draft, now=draft.created_at)
    tender = Tender.objects.get(pk=draft.pk)
    versions = [submit(make_bidder(), tender, rate=rate) for rate in RATES]
    for n, member in enumerate(staff.committee[:3]):
        services.confirm_opening(
            actor=member, tender=tender, stage=Stage.TECHNICAL,
            now=TECH_TIME + dt.timedelta(minutes=n),
        )  # fmt: skip
    evaluate(tender, staff, fail={versions[2].bid_id: "The DPR is incomplete."})
    return tender, versions


def _confirm(member, tender, passphrase=PASSPHRASE, minutes=0):
    return services.confirm_opening(
        actor=member,
        tender=tender,
        stage=Stage.FINANCIAL,
        passphrase=passphrase,
        now=FIN_TIME + dt.timedelta(minutes=minutes),
    )


# Everything the server holds


def _server_material() -> tuple[set[bytes], set[str]]:
    """Every byte string and text the database, settings and environment hold."""
    blobs: set[bytes] = set()
    texts: set[str] = set()
    for model in apps.get_models():
        fields = [
            f.attname
            for f in model._meta.concrete_fields
            if isinstance(f, models.BinaryField | models.CharField | models.TextField)
        ]
        if not fields:
            continue
        for row in model.objects.values_list(*fields):
            for value in row:
                if isinstance(value, bytes | memoryview):
                    blobs.add(bytes(value))
                elif isinstance(value, str) and value:
                    texts.add(value)
    for name in dir(settings):
        value = getattr(settings, name, None)
        if isinstance(value, str) and value:
            texts.add(value)
    texts.update(v for v in os.environ.values() if v)
    return blobs, texts


def _decodings(text: str) -> set[bytes]:
    out = {text.encode()}
    for decode in (base64.urlsafe_b64decode, base64.b64decode, binascii.unhexlify):
        with contextlib.suppress(ValueError, binascii.Error):
            out.add(decode(text.encode() + b"=" * (-len(text) % 4)))
    return out


def _candidate_keys(blobs: set[bytes], texts: set[str]) -> set[bytes]:
    """Whole values (texts also decoded), and every 16- and 32-byte window of short blobs."""
    keys = set(blobs)
    for text in texts:
        keys |= _decodings(text)
    for value in blobs:
        if len(value) <= 200:
            keys.update(value[i : i + 32] for i in range(max(0, len(value) - 31)))
            keys.update(value[i : i + 16] for i in range(max(0, len(value) - 15)))
    return keys


def test_nothing_the_server_holds_opens_a_cover(quorum_three):
    tender, versions = quorum_three
    blobs, texts = _server_material()
    assert any(bytes(v.sealed_financial) in blobs for v in versions)  # the walk sees the covers
    attempts, first = 0, versions[0]
    for candidate in _candidate_keys(blobs, texts):
        privates = []
        if len(candidate) == 32:
            privates.append(X25519PrivateKey.from_private_bytes(candidate))
        if len(candidate) == 16:  # a seed the tender's key could be derived from
            privates.append(threshold.tender_private_key(candidate, tender.reference))
        for private in privates:
            # every cover is sealed to the same public key: a key that opened one would open all
            attempts += 1
            with pytest.raises(sealing.SealError):
                sealing.unseal_with_private(
                    bytes(first.sealed_financial),
                    private_key=private,
                    tender_id=tender.pk,
                    bid_id=first.bid_id,
                    version=first.number,
                )
    assert attempts > 500
    # nor does any text the server holds unlock a member's opening key
    for key in MemberOpeningKey.objects.all():
        for text in [*texts, ""]:
            if len(text) <= 200:
                with pytest.raises(threshold.ThresholdError):
                    threshold.unlock_member_key(key.user_id, locked(key), text)
    # and the tender has no master-key-wrapped data key at all
    assert not TenderKey.objects.filter(tender=tender).exists()


# k-1, k, a wrong secret


def test_k_minus_one_shares_open_nothing_and_k_open_the_qualified_covers(staff, quorum_three):
    tender, versions = quorum_three
    members = staff.committee
    # Two members' shares (k-1) rebuild a key that is not the tender's and opens nothing
    wrong = rebuild_tender_key(tender, members[:2])
    opening_key = TenderOpeningKey.objects.get(tender=tender)
    assert threshold.public_bytes(wrong) != bytes(opening_key.public_key)
    with pytest.raises(sealing.SealError):
        sealing.unseal_with_private(
            bytes(versions[0].sealed_financial), private_key=wrong, tender_id=tender.pk,
            bid_id=versions[0].bid_id, version=1,
        )  # fmt: skip
    # and two confirmations through the service open nothing
    assert _confirm(members[0], tender) is None
    assert _confirm(members[1], tender, minutes=1) is None
    assert not OpenedCover.objects.filter(quoted_rate__isnull=False).exists()
    assert PendingShare.objects.filter(tender=tender).count() == 2
    # nor does a waiting share hold the plain share or the member's key
    for pending in PendingShare.objects.filter(tender=tender):
        assert len(bytes(pending.sealed_share)) > 32 + 12 + 18

    # When the third member confirms with their passphrase
    opening = _confirm(members[2], tender, minutes=2)

    # Then the qualified covers open and match their commitments; the disqualified one does not open
    tender.refresh_from_db()
    assert tender.status == Tender.Status.FINANCIAL_OPENED
    covers = {c.bid_version_id: c for c in opening.covers.all()}
    assert set(covers) == {versions[0].pk, versions[1].pk}
    assert [covers[v.pk].quoted_rate for v in versions[:2]] == [Decimal(r) for r in RATES[:2]]
    assert all(c.matches_commitment for c in covers.values())
    # and every waiting share and the ephemeral key are gone: the key is forgotten
    assert not PendingShare.objects.exists()
    assert cache.get(f"bidding:opening-session:{tender.pk}:1") is None
    # and the audit trail has each confirmation and the opening, and never a share or a key
    actions = list(
        AuditEvent.objects.filter(action__startswith="opening.financial").values_list(
            "action", flat=True
        )
    )
    assert actions.count("opening.financial.confirmed") == 3
    assert "opening.financial.opened" in actions
    # the excluded bid's cover stays sealed against everything the server now holds
    blobs, texts = _server_material()
    disqualified = versions[2]
    assert Bid.objects.get(pk=disqualified.bid_id).status != Bid.Status.QUALIFIED
    for candidate in _candidate_keys(blobs, texts):
        if len(candidate) == 32:
            with pytest.raises(sealing.SealError):
                sealing.unseal_with_private(
                    bytes(disqualified.sealed_financial),
                    private_key=X25519PrivateKey.from_private_bytes(candidate),
                    tender_id=tender.pk, bid_id=disqualified.bid_id, version=1,
                )  # fmt: skip


def test_a_wrong_passphrase_fails_clearly_and_changes_nothing(staff, quorum_three):
    tender, _ = quorum_three
    with (
        unchanged(OpeningConfirmation, PendingShare, CoverOpening, OpenedCover),
        pytest.raises(ValidationError) as info,
    ):
        _confirm(staff.committee[0], tender, passphrase="a guess that is wrong")
    assert info.value.message_dict["passphrase"][0].startswith(
        "That passphrase does not unlock your opening key. Nothing was recorded"
    )
    with unchanged(OpeningConfirmation, PendingShare), pytest.raises(ValidationError) as info:
        _confirm(staff.committee[0], tender, passphrase="")
    assert "Enter the passphrase of your opening key" in info.value.messages[0]
    # a member confirming twice is refused while their share waits
    _confirm(staff.committee[0], tender)
    with unchanged(OpeningConfirmation, PendingShare), pytest.raises(ValidationError) as info:
        _confirm(staff.committee[0], tender)
    assert "already confirmed" in info.value.messages[0]


def test_a_lapsed_opening_key_drops_the_waiting_shares_and_the_member_enters_it_again(
    staff, quorum_three
):
    tender, _ = quorum_three
    _confirm(staff.committee[0], tender)
    _confirm(staff.committee[1], tender, minutes=1)
    cache.clear()  # the ephemeral key's lifetime ran out
    assert _confirm(staff.committee[2], tender, minutes=2) is None  # one live share only
    assert PendingShare.objects.filter(tender=tender).count() == 1
    assert _confirm(staff.committee[0], tender, minutes=3) is None  # renewed, no new confirmation
    assert AuditEvent.objects.filter(action="opening.financial.share_renewed").count() == 1
    assert _confirm(staff.committee[1], tender, minutes=4) is not None
    assert OpeningConfirmation.objects.filter(tender=tender, stage=Stage.FINANCIAL).count() == 3


# The committee changes


def test_a_committee_change_before_the_first_bid_re_splits_and_old_shares_open_nothing(staff):
    tender = make_tender(staff)
    old_key = TenderOpeningKey.objects.get(tender=tender)
    old_private = rebuild_tender_key(tender, staff.committee[:2])
    assert threshold.public_bytes(old_private) == bytes(old_key.public_key)
    newcomer = UserFactory(role=Role.EVALUATOR, username="t_newcomer")
    give_opening_keys([newcomer], passphrase="the newcomer's own passphrase")
    new_committee = [staff.committee[1], staff.committee[2], newcomer]

    services.change_committee(
        actor=staff.official, tender=tender, committee=new_committee,
        reason="The first member was transferred to another division.", now=TECH_TIME - dt.timedelta(days=5),
    )  # fmt: skip

    new_key = TenderOpeningKey.objects.get(tender=tender, generation=2)
    assert bytes(new_key.public_key) != bytes(old_key.public_key)
    assert not KeyShare.objects.filter(opening_key=old_key).exists()
    assert sorted(new_key.shares.values_list("member_id", flat=True)) == sorted(
        m.pk for m in new_committee
    )
    assert AuditEvent.objects.filter(
        action="tender.committee_changed", object_id=str(tender.pk)
    ).exists()
    version = submit(make_bidder(), tender, rate="1987.43")
    with pytest.raises(sealing.SealError):  # the old key opens nothing sealed now
        sealing.unseal_with_private(
            bytes(version.sealed_financial), private_key=old_private, tender_id=tender.pk,
            bid_id=version.bid_id, version=1,
        )  # fmt: skip
    # the old member holds no share now, and the new committee's quorum opens the cover
    open_stage_members = new_committee[:2]
    new_private = rebuild_tender_key(tender, open_stage_members)
    opened = sealing.unseal_with_private(
        bytes(version.sealed_financial), private_key=new_private, tender_id=tender.pk,
        bid_id=version.bid_id, version=1,
    )  # fmt: skip
    assert opened.quoted_rate == Decimal("1987.43")
    # and once a bid is sealed, the committee is fixed
    with unchanged(TenderOpeningKey, KeyShare), pytest.raises(ValidationError) as info:
        services.change_committee(
            actor=staff.official, tender=tender, committee=staff.committee,
            reason="Putting the first member back on the committee.", now=TECH_TIME - dt.timedelta(days=5),
        )  # fmt: skip
    assert "committee is fixed" in info.value.messages[0]


def test_publication_needs_every_members_opening_key(staff):
    late = UserFactory(role=Role.APPROVER, username="t_late_member")
    staff.committee = [*staff.committee, late]
    tender = make_tender(staff, publish=False)
    MemberOpeningKey.objects.filter(user=late).delete()
    with unchanged(TenderOpeningKey, KeyShare), pytest.raises(ValidationError) as info:
        services.publish_tender(actor=staff.official, tender=tender, now=tender.created_at)
    assert "t_late_member" in info.value.messages[0]
    assert "set up their opening key" in info.value.messages[0]


def test_a_member_sets_up_and_changes_their_opening_key_on_their_page(staff):
    member = UserFactory(role=Role.EVALUATOR, username="t_page_member")
    client = Client()
    client.force_login(member)
    page = client.get("/opening-key/").content.decode()
    assert "What you must keep" in page and "If you lose it" in page
    response = client.post(
        "/opening-key/", {"passphrase": "my own long passphrase", "passphrase_again": "different"}
    )
    assert "The two passphrases differ." in response.content.decode()
    assert not MemberOpeningKey.objects.filter(user=member).exists()
    client.post(
        "/opening-key/",
        {"passphrase": "my own long passphrase", "passphrase_again": "my own long passphrase"},
    )
    key = MemberOpeningKey.objects.get(user=member)
    assert b"my own long passphrase" not in bytes(key.locked_private)
    assert threshold.unlock_member_key(member.pk, locked(key), "my own long passphrase")
    # changing it with the current passphrase keeps the same key pair (shares stay usable)
    client.post(
        "/opening-key/",
        {
            "current_passphrase": "my own long passphrase",
            "passphrase": "a second long passphrase",
            "passphrase_again": "a second long passphrase",
        },
    )
    key2 = MemberOpeningKey.objects.get(user=member)
    assert bytes(key2.public_key) == bytes(key.public_key)
    assert threshold.unlock_member_key(member.pk, locked(key2), "a second long passphrase")
    # a firm has no opening key page
    firm_client = Client()
    firm_client.force_login(make_bidder())
    assert firm_client.get("/opening-key/").status_code == 403


def test_a_tender_sealed_under_the_retired_master_key_still_opens_with_it(staff, settings):
    settings.BID_SEALING_MASTER_KEY = base64.urlsafe_b64encode(b"m" * 32).decode()
    tender = make_tender(staff)
    TenderOpeningKey.objects.filter(tender=tender).delete()  # as a tender sealed before issue 13
    TenderKey.objects.create(
        tender=tender,
        wrapped_key=sealing.new_wrapped_key(tender.reference),
        master_key_id=sealing.master_key_id(),
        created_at=tender.created_at,
    )
    version = submit(make_bidder(), tender, rate="1911.11")
    open_stage(tender, staff, Stage.TECHNICAL, TECH_TIME)
    evaluate(tender, staff)
    opening = open_stage(tender, staff, Stage.FINANCIAL, FIN_TIME)
    assert opening.covers.get(bid_version=version).quoted_rate == Decimal("1911.11")


def test_an_official_changes_the_committee_on_its_page_before_the_first_bid(staff):
    tender = make_tender(staff)
    client = Client()
    client.force_login(staff.official)
    assert (
        "Change the bid-opening committee"
        in client.get(f"/tenders/{tender.pk}/committee/").content.decode()
    )
    new_committee = staff.committee[1:]
    with unchanged(TenderOpeningKey, KeyShare):  # no reason given: nothing changes
        response = client.post(
            f"/tenders/{tender.pk}/committee/", {"committee": [m.pk for m in new_committee]}
        )
    assert response.status_code == 200
    with time_machine.travel(BEFORE_DUE, tick=False):  # the pages use the portal's clock
        response = client.post(
            f"/tenders/{tender.pk}/committee/",
            {
                "committee": [m.pk for m in new_committee],
                "reason": "A member retired from the ministry this month.",
            },
        )
    assert response.status_code == 302
    assert TenderOpeningKey.objects.filter(tender=tender).count() == 2
    # a member cannot change it
    member = Client()
    member.force_login(staff.committee[1])
    assert member.get(f"/tenders/{tender.pk}/committee/").status_code == 403
