"""Drawing a sample, the re-draw check, findings and the recovery an official opens from one."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import ProgrammingError, transaction

from incentives import services as money
from incentives.models import Pool
from incentives.recovery import services as recovery_services
from incentives.recovery.models import Recovery
from incentives.sampling import engine, selectors, services
from incentives.sampling.models import (
    Finding,
    FindingRecovery,
    Outcome,
    Sample,
    SampledClaim,
    SampleStratum,
)
from repm_portal.models import AuditEvent
from repm_portal.money import lakh
from tests.sampling.population import (
    AMOUNTS,
    CS,
    DRAWN_AT,
    FINDING,
    KINDS,
    ONE_PAID_LAKH,
    RATIONALE,
    SLI,
    YEAR,
    pdf,
)  # fmt: skip

pytestmark = pytest.mark.django_db
REASON = "The field check found magnets claimed as sold that came back as returns."


def _draw(users, seed: str | None = "audit-2027", **changes) -> Sample:
    given = {
        "actor": users["auditor"], "financial_year": YEAR, "kinds": KINDS,
        "rationale": RATIONALE, "seed": seed, "now": DRAWN_AT,
    } | changes  # fmt: skip
    return services.draw_sample(**given)


def _keys(sample: Sample) -> list[tuple[str, str]]:
    return list(
        sample.claims.order_by("stratum__position", "draw_order").values_list(
            "claim_type", "claim_id"
        )
    )


def _counts() -> tuple[int, ...]:
    return (
        Sample.objects.count(),
        SampleStratum.objects.count(),
        SampledClaim.objects.count(),
        Finding.objects.count(),
        AuditEvent.objects.count(),
    )


# Drawing


def test_a_draw_stores_its_seed_population_hash_floor_and_rationale(users, paid):
    sample = _draw(users)

    assert sample.seed == "audit-2027" and sample.seed_source == "auditor"
    assert sample.floor_pct == Decimal("10.00") and sample.rationale == RATIONALE
    assert sample.definition["financial_year"] == "2026-27"
    assert sample.definition["kinds"] == sorted(KINDS)
    assert (sample.definition["paid_from"], sample.definition["paid_to"]) == (
        "2026-04-01",
        "2027-03-31",
    )
    # the population: every claim paid in FY 2026-27, not the one paid in April 2027
    assert sample.population_count == sum(len(v) for v in AMOUNTS.values()) == 6
    assert sample.population_value == lakh(sum(sum(v) for v in AMOUNTS.values()))
    items = selectors.stored_population(sample)
    assert engine.population_hash(sample.definition, items) == sample.population_hash
    assert selectors.population(YEAR, KINDS) == items
    event = AuditEvent.objects.get(action="sample.drawn", object_id=str(sample.pk))
    assert event.new_values["seed"] == "audit-2027"
    assert event.new_values["population_hash"] == sample.population_hash
    assert event.actor_id == users["auditor"].pk


def test_every_award_is_a_stratum_with_its_floor_met(users, paid):
    sample = _draw(users)

    strata = list(sample.strata.order_by("position"))
    assert sorted(s.award_id for s in strata) == sorted(a.pk for a in paid)
    for stratum in strata:
        assert stratum.sampled_count >= 1
        assert stratum.sampled_value * 100 >= 10 * stratum.population_value
        assert stratum.sampled_value == sum(c.value_paid for c in stratum.claims.all())
    assert sample.sampled_value == sum(s.sampled_value for s in strata)


def test_the_same_seed_on_the_same_population_draws_the_same_sample(users, paid):
    first = _draw(users)
    second = _draw(users, now=DRAWN_AT + dt.timedelta(days=3))

    assert _keys(first) == _keys(second)
    assert first.population_hash == second.population_hash


def test_without_a_seed_one_is_drawn_from_secrets_and_stored(users, paid):
    sample = _draw(users, seed="")

    assert sample.seed_source == "secrets" and sample.seed.isdigit()
    replay = engine.draw(
        selectors.stored_population(sample), seed=sample.seed, floor_pct=sample.floor_pct
    )
    assert replay.keys == _keys(sample)


def test_a_sample_of_one_kind_holds_only_that_kind(users, paid, paying):
    paying.pay(paid[2], 8, on=dt.date(2026, 9, 1), pool=Pool.CAPITAL_SUBSIDY)
    only_sli = _draw(users, kinds=[SLI])
    both = _draw(users)

    assert {row["claim_type"] for row in only_sli.population} == {SLI}
    assert both.population_count == only_sli.population_count + 1
    assert CS in {row["claim_type"] for row in both.population}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"floor_pct": "5"}, "floor_pct"),
        ({"floor_pct": "100.5"}, "floor_pct"),
        ({"floor_pct": "ten"}, "floor_pct"),
        ({"rationale": "because"}, "rationale"),
        ({"kinds": []}, "kinds"),
        ({"kinds": ["no_such_kind"]}, "kinds"),
        ({"seed": "has spaces in it"}, "seed"),
        ({"financial_year": "2026-28"}, "financial_year"),
        ({"financial_year": "2025-26"}, "financial_year"),  # nothing was paid in it
        ({"financial_year": "2028-29"}, "financial_year"),  # not begun
    ],
)
def test_a_bad_draw_is_refused_with_its_field_and_changes_nothing(users, one_paid, changes, field):
    before = _counts()
    with pytest.raises(ValidationError) as refused:
        _draw(users, **changes)
    assert field in refused.value.message_dict
    assert _counts() == before


@pytest.mark.parametrize("role", ["official", "admin", "approver", "verifier", "firm_user"])
def test_only_an_auditor_draws(users, one_paid, role):
    with pytest.raises(PermissionDenied):
        _draw(users, actor=users[role])
    assert not Sample.objects.exists()


def test_a_sample_is_immutable_in_the_database(users, one_paid):
    sample = _draw(users)
    claim = sample.claims.first()

    with pytest.raises(ProgrammingError, match="append-only"), transaction.atomic():
        Sample.objects.filter(pk=sample.pk).update(seed="other")
    with pytest.raises(ProgrammingError, match="append-only"), transaction.atomic():
        SampledClaim.objects.filter(pk=claim.pk).delete()
    with pytest.raises(ProgrammingError, match="append-only"), transaction.atomic():
        SampleStratum.objects.filter(sample=sample).update(sampled_value=0)
    sample.refresh_from_db()
    assert sample.seed == "audit-2027"


# The re-draw check


def test_the_redraw_check_agrees_while_the_population_stands(users, paid):
    check = selectors.redraw_check(_draw(users))

    assert check.record_intact and check.replay_matches
    assert check.population_unchanged and check.current_matches
    assert check.added == check.removed == check.changed == []


def test_a_claim_paid_after_the_draw_changes_the_hash_and_the_check_says_so(users, paid, paying):
    sample = _draw(users)
    late = paying.pay(paid[1], 6, on=dt.date(2027, 3, 30))  # paid in the year, recorded after

    check = selectors.redraw_check(sample)
    assert not check.population_unchanged
    assert check.current_hash != sample.population_hash
    assert check.added == [(late.letter.claim_type, late.letter.claim_id)]
    assert check.record_intact and check.replay_matches  # the stored draw still replays
    # a new sample on today's population has the new hash and holds the new claim
    again = _draw(users)
    assert again.population_hash == check.current_hash
    assert again.population_count == sample.population_count + 1


def test_a_part_payment_after_the_draw_shows_as_a_changed_claim(users, payouts, paid):
    sample = _draw(users)
    letter = payouts.letter(users, paid[2], Pool.SLI, lakh(4), on=dt.date(2026, 11, 2))
    money.record_payment(
        actor=users["official"], letter=letter, amount=lakh(1), paid_on=dt.date(2026, 11, 3),
        utr="PART00000000001", now=DRAWN_AT,
    )  # fmt: skip
    check = selectors.redraw_check(sample)
    assert check.added == [(letter.claim_type, letter.claim_id)] and not check.changed
    money.record_payment(
        actor=users["official"], letter=letter, amount=lakh(1), paid_on=dt.date(2026, 12, 3),
        utr="PART00000000002", now=DRAWN_AT,
    )  # fmt: skip
    later = _draw(users)
    assert selectors.redraw_check(later).population_unchanged
    money.record_payment(
        actor=users["official"], letter=letter, amount=lakh(1), paid_on=dt.date(2027, 1, 3),
        utr="PART00000000003", now=DRAWN_AT,
    )  # fmt: skip
    assert selectors.redraw_check(later).changed == [(letter.claim_type, letter.claim_id)]


# Findings


def _claim(sample: Sample) -> SampledClaim:
    return sample.claims.order_by("stratum__position", "draw_order").first()


def test_a_finding_is_recorded_with_its_evidence_and_audited(users, one_paid):
    claim = _claim(_draw(users))

    finding = services.record_finding(
        actor=users["auditor"], claim=claim, outcome=Outcome.DISCREPANCY, text=FINDING,
        amount_at_issue="12500.50", evidence=pdf(), now=DRAWN_AT,
    )  # fmt: skip
    assert finding.amount_at_issue == Decimal("12500.50")
    assert finding.evidence_type == "application/pdf" and len(finding.evidence_sha256) == 64
    assert finding.evidence.read().startswith(b"%PDF-")
    event = AuditEvent.objects.get(action="finding.recorded", object_id=str(finding.pk))
    assert event.new_values["outcome"] == "discrepancy"
    assert event.new_values["amount_at_issue"] == "12500.50"
    assert event.new_values["evidence_sha256"] == finding.evidence_sha256
    with pytest.raises(ProgrammingError, match="append-only"), transaction.atomic():
        Finding.objects.filter(pk=finding.pk).update(amount_at_issue=0)


@pytest.mark.parametrize(
    ("outcome", "amount", "evidence", "field"),
    [
        (Outcome.NO_ISSUE, "100", None, "amount_at_issue"),
        (Outcome.RECOVERY, "0", "pdf", "amount_at_issue"),
        (Outcome.RECOVERY, "5000", None, "evidence"),
        (Outcome.DISCREPANCY, "-1", "pdf", "amount_at_issue"),
        (Outcome.DISCREPANCY, "99999999999", "pdf", "amount_at_issue"),  # more than was paid
        (Outcome.DISCREPANCY, "10", "text", "evidence"),
        ("maybe", "0", None, "outcome"),
    ],
)
def test_a_bad_finding_is_refused_and_records_nothing(
    users, one_paid, outcome, amount, evidence, field
):
    claim = _claim(_draw(users))
    before = _counts()
    upload = {
        "pdf": pdf(), "text": SimpleUploadedFile("note.pdf", b"just text, not a PDF"), None: None
    }[evidence]  # fmt: skip
    with pytest.raises(ValidationError) as refused:
        services.record_finding(
            actor=users["auditor"], claim=claim, outcome=outcome, text=FINDING,
            amount_at_issue=amount, evidence=upload, now=DRAWN_AT,
        )  # fmt: skip
    assert field in refused.value.message_dict
    assert _counts() == before


@pytest.mark.parametrize("role", ["official", "admin", "verifier", "firm_user"])
def test_only_an_auditor_records_a_finding(users, one_paid, role):
    claim = _claim(_draw(users))
    with pytest.raises(PermissionDenied):
        services.record_finding(
            actor=users[role], claim=claim, outcome=Outcome.NO_ISSUE, text=FINDING, now=DRAWN_AT
        )
    assert not Finding.objects.exists()


# A recovery opened from a finding


def _recommend(users, sample: Sample) -> Finding:
    return services.record_finding(
        actor=users["auditor"], claim=_claim(sample), outcome=Outcome.RECOVERY, text=FINDING,
        amount_at_issue="50000", evidence=pdf(), now=DRAWN_AT,
    )  # fmt: skip


def test_an_official_opens_the_recovery_and_a_second_confirms_it(users, one_paid, second_official):
    finding = _recommend(users, _draw(users))
    claim = finding.claim

    recovery = services.open_recovery(
        actor=users["official"], finding=finding, reason=REASON, as_of=dt.date(2027, 5, 10),
        now=DRAWN_AT,
    )  # fmt: skip
    assert recovery.status == Recovery.Status.PROPOSED
    assert recovery.award_id == claim.award_id and recovery.pools == [Pool.SLI]
    assert recovery.grounds == "ineligible" and recovery.proposed_by == users["official"]
    # the recovery path's figure: what the award was paid in the pool, with interest
    assert recovery.principal == lakh(ONE_PAID_LAKH)
    link = FindingRecovery.objects.get(finding=finding)
    assert link.recovery == recovery and link.opened_by == users["official"]
    event = AuditEvent.objects.get(action="finding.recovery_opened", object_id=str(finding.pk))
    assert event.new_values["recovery_id"] == recovery.pk
    assert selectors.live_recovery_of(finding) == recovery
    assert not selectors.findings_awaiting_recovery(users["official"]).exists()

    confirmed = recovery_services.confirm_recovery(
        actor=second_official, recovery=recovery, now=DRAWN_AT
    )
    assert confirmed.status == Recovery.Status.CONFIRMED and confirmed.entry is not None
    with pytest.raises(ValidationError, match="opened from this finding"):
        services.open_recovery(actor=second_official, finding=finding, reason=REASON, now=DRAWN_AT)


@pytest.mark.parametrize("role", ["auditor", "approver", "verifier", "firm_user"])
def test_no_one_but_an_official_opens_a_recovery(users, one_paid, role):
    finding = _recommend(users, _draw(users))
    with pytest.raises(PermissionDenied):
        services.open_recovery(actor=users[role], finding=finding, reason=REASON, now=DRAWN_AT)
    assert not Recovery.objects.exists() and not FindingRecovery.objects.exists()


def test_a_finding_without_a_recommendation_opens_nothing(users, one_paid):
    claim = _claim(_draw(users))
    finding = services.record_finding(
        actor=users["auditor"], claim=claim, outcome=Outcome.NO_ISSUE, text=FINDING, now=DRAWN_AT
    )
    with pytest.raises(ValidationError, match="recommends recovery"):
        services.open_recovery(
            actor=users["official"], finding=finding, reason=REASON, now=DRAWN_AT
        )
    assert not Recovery.objects.exists()


def test_a_withdrawn_recovery_lets_the_finding_be_taken_up_again(users, one_paid):
    finding = _recommend(users, _draw(users))
    first = services.open_recovery(
        actor=users["official"], finding=finding, reason=REASON, now=DRAWN_AT
    )
    recovery_services.withdraw_recovery(
        actor=users["official"], recovery=first, reason="Opened on the wrong pool by mistake.",
        now=DRAWN_AT,
    )  # fmt: skip
    assert selectors.findings_awaiting_recovery(users["official"]).get() == finding
    again = services.open_recovery(
        actor=users["official"], finding=finding, reason=REASON,
        pools=[Pool.SLI, Pool.CAPITAL_SUBSIDY], now=DRAWN_AT,
    )  # fmt: skip
    assert again.pk != first.pk and FindingRecovery.objects.filter(finding=finding).count() == 2


def test_a_bad_recovery_reason_is_refused_by_the_recovery_path_and_links_nothing(users, one_paid):
    finding = _recommend(users, _draw(users))
    with pytest.raises(ValidationError) as refused:
        services.open_recovery(actor=users["official"], finding=finding, reason="no", now=DRAWN_AT)
    assert "reason" in refused.value.message_dict
    assert not FindingRecovery.objects.exists()
