"""Performance bank guarantees after the award: extend, release, invoke; reminders and the expired flag."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse

from bidding import services
from bidding.models import PbgExtension, PbgReminder, PerformanceBankGuarantee
from repm_portal.models import AuditEvent
from repm_portal.roles import Role
from tests.factories import AwardFactory, FirmUserFactory, PlantFactory, UserFactory

IST = ZoneInfo("Asia/Kolkata")
AWARDED = dt.datetime(2026, 7, 21, 11, 0, tzinfo=IST)


def at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(9), tzinfo=IST)


@pytest.fixture
def award(rules):
    # AwardFactory adds the winner as a participant in its own bid, as the tender flow does
    return AwardFactory(allocated_mtpa=1000, awarded_at=AWARDED)


@pytest.fixture
def winner(award):
    return award.bid.firm.users.order_by("pk").first()


@pytest.fixture
def guarantee(award, winner):
    return services.record_pbg(
        actor=winner, award=award, amount=award.pbg_amount_required, bank_name="Bank of Baroda",
        guarantee_number="BOB/PBG/77", issued_on=dt.date(2026, 8, 1),
        valid_until=award.pbg_valid_until_required, now=at(dt.date(2026, 8, 2)),
    )  # fmt: skip


def test_an_extension_moves_the_expiry_on_and_keeps_the_old_one(guarantee, winner, users):
    old = guarantee.valid_until
    with pytest.raises(ValidationError) as info:
        services.extend_pbg(
            actor=winner, guarantee=guarantee, valid_until=old, amendment_reference="A1"
        )
    assert info.value.message_dict["valid_until"][0].startswith("The new expiry must be later")
    with pytest.raises(PermissionDenied):
        services.extend_pbg(actor=FirmUserFactory(), guarantee=guarantee,
                            valid_until=old + dt.timedelta(days=365), amendment_reference="A1")  # fmt: skip
    services.extend_pbg(actor=winner, guarantee=guarantee, valid_until=old + dt.timedelta(days=365),
                        amendment_reference="BOB/AMD/1", now=at(dt.date(2030, 1, 5)))  # fmt: skip
    guarantee.refresh_from_db()
    extension = guarantee.extensions.get()
    assert (extension.previous_valid_until, extension.valid_until) == (old, guarantee.valid_until)
    event = AuditEvent.objects.get(action="pbg.extended")
    assert event.old_values == {"valid_until": old.isoformat()}
    # The history cannot be rewritten
    extension.amendment_reference = "forged"
    with pytest.raises(Exception, match=r"append-only|refuse"), transaction.atomic():
        extension.save()


def test_an_extended_guarantee_is_reminded_again_before_its_new_expiry(guarantee, winner):
    first = guarantee.valid_until
    assert services.send_pbg_expiry_reminders(now=at(first - dt.timedelta(days=80))) == 1
    assert services.send_pbg_expiry_reminders(now=at(first - dt.timedelta(days=79))) == 0
    new = first + dt.timedelta(days=400)
    services.extend_pbg(actor=winner, guarantee=guarantee, valid_until=new, amendment_reference="AMD-2",
                        now=at(first - dt.timedelta(days=60)))  # fmt: skip
    assert services.send_pbg_expiry_reminders(now=at(first - dt.timedelta(days=25))) == 0
    assert services.send_pbg_expiry_reminders(now=at(new - dt.timedelta(days=85))) == 1
    assert services.send_pbg_expiry_reminders(now=at(new - dt.timedelta(days=6))) == 1
    assert list(guarantee.reminders.values_list("valid_until", "days_before").order_by("sent_at")) == [
        (first, 90), (new, 90), (new, 7),
    ]  # fmt: skip
    assert "expires in 6 days" in mail.outbox[-1].subject


@pytest.fixture
def official2(rules):
    return UserFactory(role=Role.OFFICIAL, username="second_official")


def test_release_waits_until_the_award_owes_nothing(guarantee, award, users, official2):
    official = users[Role.OFFICIAL]
    reason = "Term over and plant commissioned; nothing is owed."
    with pytest.raises(PermissionDenied):
        services.propose_pbg_closure(
            actor=award.bid.firm.users.first(), guarantee=guarantee, action="release", reason=reason
        )
    term_end = services.obligations_end_on(award)
    assert term_end == dt.date(2033, 7, 21)  # award + 24 months of gestation + 60 of SLI
    with pytest.raises(ValidationError, match="scheme term runs until 21 Jul 2033"):
        services.propose_pbg_closure(actor=official, guarantee=guarantee, action="release",
                                     reason=reason, now=at(dt.date(2030, 1, 1)))  # fmt: skip
    after_term = at(term_end + dt.timedelta(days=1))
    with pytest.raises(ValidationError, match="plant is not commissioned yet"):
        services.propose_pbg_closure(actor=official, guarantee=guarantee, action="release",
                                     reason=reason, now=after_term)  # fmt: skip
    PlantFactory(award=award, name="Plant", commissioned=True, commissioned_on=dt.date(2028, 7, 1))
    closure = services.propose_pbg_closure(actor=official, guarantee=guarantee, action="release",
                                           reason=reason, now=after_term)  # fmt: skip
    guarantee.refresh_from_db()
    assert guarantee.status == "active"  # nothing happens on one official's word
    services.confirm_pbg_closure(actor=official2, closure=closure, now=after_term)
    guarantee.refresh_from_db()
    assert (guarantee.status, guarantee.closed_by, guarantee.closing_reason) == (
        "released", official2, reason,
    )  # fmt: skip
    event = AuditEvent.objects.get(action="performancebankguarantee.released")
    assert event.new_values["reason"] and event.new_values["proposed_by_id"] == official.pk
    with pytest.raises(ValidationError, match="is released; only the active guarantee can change"):
        services.propose_pbg_closure(actor=official, guarantee=guarantee, action="invoke",
                                     amount=Decimal(1), reason="The firm left the scheme late.")  # fmt: skip


def test_an_invocation_needs_a_second_official_a_sentence_and_at_most_the_amount(
    guarantee, users, official2
):
    official = users[Role.OFFICIAL]
    with pytest.raises(PermissionDenied):
        services.propose_pbg_closure(actor=users[Role.APPROVER], guarantee=guarantee,
                                     action="invoke", amount=Decimal(1), reason="x")  # fmt: skip
    for reason in (" ", "x", "Exit", "The firm\x00 exited the scheme."):
        with pytest.raises(ValidationError) as info:
            services.propose_pbg_closure(actor=official, guarantee=guarantee, action="invoke",
                                         amount=guarantee.amount + 1, reason=reason)  # fmt: skip
        assert set(info.value.message_dict) == {"amount", "reason"}
    closure = services.propose_pbg_closure(
        actor=official, guarantee=guarantee, action="invoke", amount=Decimal("250000000"),
        reason="The beneficiary exited the scheme.", now=at(dt.date(2029, 1, 1)),
    )  # fmt: skip
    # the proposer cannot confirm it, nor call the act directly
    with pytest.raises(PermissionDenied, match="second official"):
        services.confirm_pbg_closure(actor=official, closure=closure)
    with pytest.raises(PermissionDenied, match="second official"):
        services.invoke_pbg(actor=official, guarantee=guarantee, amount=Decimal(1),
                            reason="The beneficiary exited the scheme.", proposed_by=official)  # fmt: skip
    # and a second proposal waits for the first to be decided
    with pytest.raises(ValidationError, match="already has a proposal"):
        services.propose_pbg_closure(actor=official2, guarantee=guarantee, action="invoke",
                                     amount=Decimal(5), reason="The beneficiary exited the scheme.")  # fmt: skip
    guarantee.refresh_from_db()
    assert guarantee.status == "active"
    services.confirm_pbg_closure(actor=official2, closure=closure, now=at(dt.date(2029, 1, 2)))
    guarantee.refresh_from_db()
    assert (guarantee.status, guarantee.invoked_amount, guarantee.closed_by) == (
        "invoked", Decimal("250000000.00"), official2,
    )  # fmt: skip
    event = AuditEvent.objects.get(action="performancebankguarantee.invoked")
    assert event.new_values["invoked_amount"] == "250000000.00"
    assert AuditEvent.objects.filter(action="pbg.invoke_proposed", actor=official).exists()
    # The database refuses an invocation without its reason
    guarantee.closing_reason = ""
    with pytest.raises(Exception, match="pbg_closing_complete"), transaction.atomic():
        guarantee.save()


def test_a_proposal_is_cancelled_with_a_reason_and_the_guarantee_stays(guarantee, users):
    official = users[Role.OFFICIAL]
    closure = services.propose_pbg_closure(actor=official, guarantee=guarantee, action="invoke",
                                           amount=Decimal(10), reason="The plant missed its milestones.")  # fmt: skip
    with pytest.raises(ValidationError, match="at least a sentence"):
        services.cancel_pbg_closure(actor=official, closure=closure, note="no")
    services.cancel_pbg_closure(
        actor=official, closure=closure, note="The firm cured the delay in time."
    )
    closure.refresh_from_db()
    guarantee.refresh_from_db()
    assert (closure.status, guarantee.status) == ("cancelled", "active")


def test_an_expired_guarantee_while_obligations_remain_is_flagged_once(
    award, winner, users, client
):
    # Given a guarantee that ran out (recorded straight in the table: the service would refuse it)
    short = PerformanceBankGuarantee.objects.create(
        award=award, amount=award.pbg_amount_required, bank_name="Canara Bank", guarantee_number="CB-1",
        issued_on=dt.date(2026, 8, 1), valid_until=dt.date(2027, 8, 1), recorded_by=winner,
        recorded_at=at(dt.date(2026, 8, 2)),
    )  # fmt: skip
    today = at(dt.date(2027, 8, 10))
    flagged = services.expired_guarantees_with_obligations(now=today)
    assert [g for g, _owed in flagged] == [short]
    assert services.flag_expired_guarantees(now=today) == 1
    assert services.flag_expired_guarantees(now=today + dt.timedelta(days=1)) == 0
    assert "has expired" in mail.outbox[-1].subject
    assert winner.email in mail.outbox[-1].to
    assert PbgReminder.objects.get(guarantee=short).days_before == 0
    # Shown on the award page and the officials' dashboard
    import time_machine

    with time_machine.travel(today, tick=False):
        client.force_login(users[Role.OFFICIAL])
        assert (
            "Expired while obligations remain"
            in client.get(reverse("award_detail", args=[award.pk])).content.decode()
        )
        assert (
            "Guarantees expired while obligations remain"
            in client.get(reverse("dashboard")).content.decode()
        )
        client.force_login(winner)
        assert (
            "Your guarantee CB-1 expired on 1 Aug 2027"
            in client.get(reverse("dashboard")).content.decode()
        )
    # Once extended, it is no longer flagged
    services.extend_pbg(actor=winner, guarantee=short, valid_until=dt.date(2034, 1, 31),
                        amendment_reference="CB-1/AMD", now=today)  # fmt: skip
    assert services.expired_guarantees_with_obligations(now=today) == []
    assert PbgExtension.objects.filter(guarantee=short).exists()


def test_guarantee_api_scoped_and_officials_only_close(api_client, guarantee, winner, users):
    stranger = FirmUserFactory()
    api_client.force_authenticate(stranger)
    assert api_client.get(f"/api/guarantees/{guarantee.pk}/").status_code == 404
    api_client.force_authenticate(winner)
    assert (
        api_client.get(f"/api/guarantees/{guarantee.pk}/").json()["guarantee_number"]
        == "BOB/PBG/77"
    )
    assert (
        api_client.post(
            f"/api/guarantees/{guarantee.pk}/invoke/", {"amount": "1", "reason": "x"}
        ).status_code
        == 403
    )
    new = (guarantee.valid_until + dt.timedelta(days=30)).isoformat()
    response = api_client.post(
        f"/api/guarantees/{guarantee.pk}/extend/", {"valid_until": new, "amendment_reference": "A"}
    )
    assert response.status_code == 200
    assert response.json()["extensions"][0]["valid_until"] == new
    api_client.force_authenticate(users[Role.OFFICIAL])
    response = api_client.post(
        f"/api/guarantees/{guarantee.pk}/invoke/", {"amount": "100.00", "reason": "Exit"}
    )
    assert response.status_code == 400 and "at least a sentence" in str(response.json())
    reason = "The firm exited the scheme."
    response = api_client.post(
        f"/api/guarantees/{guarantee.pk}/invoke/", {"amount": "100.00", "reason": reason}
    )
    proposal = response.json()["pending_proposal"]
    assert (response.status_code, response.json()["status"]) == (200, "active")
    assert (proposal["action"], proposal["reason"]) == ("invoke", reason)
    confirm = f"/api/guarantees/{guarantee.pk}/confirm/"
    assert api_client.post(confirm, {"proposal": proposal["id"]}).status_code == 403
    api_client.force_authenticate(UserFactory(role=Role.OFFICIAL, username="official_two"))
    response = api_client.post(confirm, {"proposal": proposal["id"]})
    assert (response.status_code, response.json()["status"]) == (200, "invoked")


def test_the_guarantee_pages_hand_each_field_to_its_service(client, award, winner, users):
    import time_machine

    with time_machine.travel(at(dt.date(2026, 8, 2)), tick=False):
        client.force_login(winner)
        response = client.post(
            reverse("pbg_form", args=[award.pk]),
            {
                "amount": str(award.pbg_amount_required), "bank_name": "Bank of Baroda",
                "guarantee_number": "BOB/PBG/88", "issued_on": "2026-08-01",
                "valid_until": award.pbg_valid_until_required.isoformat(),
            },
        )  # fmt: skip
        assert response.status_code == 302
        guarantee = PerformanceBankGuarantee.objects.get(guarantee_number="BOB/PBG/88")
        assert (guarantee.bank_name, guarantee.issued_on) == ("Bank of Baroda", dt.date(2026, 8, 1))

        later = guarantee.valid_until + dt.timedelta(days=90)
        response = client.post(
            reverse("pbg_extend", args=[award.pk]),
            {"valid_until": later.isoformat(), "amendment_reference": "BOB/AMD/9"},
        )
        assert response.status_code == 302
        assert guarantee.extensions.get().amendment_reference == "BOB/AMD/9"

        client.force_login(users[Role.OFFICIAL])
        response = client.post(
            reverse("pbg_release", args=[award.pk]), {"reason": "The work is done, release it."}
        )
        assert "still owes" in response.content.decode()  # the term runs for years yet
        response = client.post(
            reverse("pbg_invoke", args=[award.pk]),
            {"amount": "100.00", "reason": "The firm exited the scheme."},
        )
        assert response.status_code == 302
        closure = guarantee.closures.get()
        page = client.get(reverse("award_detail", args=[award.pk])).content.decode()
        assert "A second official confirms it." in page and "Confirm:" not in page
        client.force_login(UserFactory(role=Role.OFFICIAL, username="official_two"))
        response = client.post(reverse("pbg_closure_confirm", args=[award.pk, closure.pk]))
        assert response.status_code == 302
    guarantee.refresh_from_db()
    assert (guarantee.status, guarantee.invoked_amount, guarantee.closing_reason) == (
        "invoked",
        Decimal("100.00"),
        "The firm exited the scheme.",
    )
