"""The feedstock of a sales claim: the firm's declaration by source, the verifier's check, and the shares over time."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from incentives.claims import feedstock, services
from incentives.claims.models import Claim, ClaimDocument, FeedstockDeclaration
from repm_portal.models import AuditEvent
from repm_portal.roles import Role
from tests.claims.sales import sales_award
from tests.claims.workflow import (
    STARTED_AT,
    SUBMITTED_AT,
    VERIFIED_AT,
    certificate,
    drafted,
    staff,
    submitted,
)
from tests.factories import FirmUserFactory

pytestmark = pytest.mark.django_db
S = Claim.Status
# The five filed lines are 502.5 kg of magnet; 0.168 t of oxide makes 0.504 t at 3 t a tonne.
MATCHING = [
    {"source": "irel", "tonnes": "0.068"},
    {"source": "imported", "country": "CN", "tonnes": "0.100"},
]
OTHER_MATCHING = [
    {"source": "recycled", "tonnes": "0.018"},
    {"source": "imported", "country": "cn", "tonnes": "0.1"},
    {"source": "domestic", "tonnes": "0.050"},
]
SHORT = [{"source": "irel", "tonnes": "0.100"}]  # makes 0.300 t against 0.5025 t sold


def rows_of(claim: Claim) -> list[tuple[str, str, str]]:
    return [
        (source, country, str(tonnes))
        for source, country, tonnes in FeedstockDeclaration.objects.filter(claim=claim)
        .order_by("source", "country")
        .values_list("source", "country", "tonnes")
    ]


def declared_events(claim: Claim) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(
            action="claim.feedstock_declared", object_id=str(claim.pk)
        ).order_by("id")
    )


def firm_of(award):
    return award.bid.firm.users.get()


def verifiable(award, firm_user, rows, verifier) -> Claim:
    """A draft declared with `rows`, submitted and taken up by `verifier`."""
    claim = drafted(award, firm_user, feedstock=False)
    services.declare_feedstock(actor=firm_user, claim=claim, rows=rows, now=SUBMITTED_AT)
    services.submit_claim(
        actor=firm_user, claim=claim, certificate=certificate(), declaration=True,
        now=SUBMITTED_AT,
    )  # fmt: skip
    return services.start_verification(actor=verifier, claim=claim, now=STARTED_AT)


# --- the declaration ------------------------------------------------------------------------


def test_the_firm_declares_by_source_and_a_new_declaration_replaces_the_old_audited(
    award, firm_user
):
    claim = drafted(award, firm_user, feedstock=False)

    services.declare_feedstock(actor=firm_user, claim=claim, rows=MATCHING, now=SUBMITTED_AT)
    services.declare_feedstock(actor=firm_user, claim=claim, rows=OTHER_MATCHING, now=SUBMITTED_AT)

    assert rows_of(claim) == [
        ("domestic", "", "0.050"), ("imported", "CN", "0.100"), ("recycled", "", "0.018"),
    ]  # fmt: skip
    first, second = declared_events(claim)
    assert first.old_values is None and first.actor == firm_user
    assert second.old_values == {
        "rows": [
            {"source": "imported", "country": "CN", "tonnes": "0.100"},
            {"source": "irel", "country": "", "tonnes": "0.068"},
        ]
    }
    assert second.new_values["total_tonnes"] == "0.168"
    assert len(second.new_values["rows"]) == 3
    row = FeedstockDeclaration.objects.filter(claim=claim).first()
    assert (row.declared_by, row.declared_at) == (firm_user, SUBMITTED_AT)


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        pytest.param([{"source": "irel", "tonnes": "-1.000"}], "Row 1: -1.000 t is negative", id="negative"),
        pytest.param([{"source": "magic", "tonnes": "1"}], "Row 1: 'magic' is not a source", id="unknown-source"),
        pytest.param([{"source": "imported", "tonnes": "1"}], "Row 1: an import names its country", id="import-no-country"),
        pytest.param([{"source": "imported", "country": "XX", "tonnes": "1"}], "'XX' is not an ISO 3166", id="unknown-country"),
        pytest.param([{"source": "imported", "country": "IN", "tonnes": "1"}], "oxide from India is IREL or other domestic", id="import-from-india"),
        pytest.param([{"source": "irel", "country": "CN", "tonnes": "1"}], "only an import names a country", id="country-on-irel"),
        pytest.param(
            [{"source": "irel", "tonnes": "1"}, {"source": "IREL", "tonnes": "2"}],
            r"Row 2: IREL \(India\) Ltd is declared twice \(row 1 too\)", id="duplicate-source",
        ),
        pytest.param(
            [{"source": "imported", "country": "CN", "tonnes": "1"}, {"source": "irel", "tonnes": "1"},
             {"source": "imported", "country": "cn", "tonnes": "2"}],
            r"Row 3: imported from CN is declared twice \(row 1 too\)", id="duplicate-country",
        ),
        pytest.param([{"source": "irel", "tonnes": "1.0001"}], "more than 3 decimals", id="too-precise"),
        pytest.param([{"source": "irel", "tonnes": "a lot"}], "'a lot' is not a number", id="not-a-number"),
        pytest.param([{"source": "irel", "tonnes": "NaN"}], "'NaN' is not a number", id="nan"),
        pytest.param([{"source": "irel", "tonnes": ""}], "give the tonnes", id="no-tonnes"),
        pytest.param([], "at least one source", id="empty"),
    ],
)  # fmt: skip
def test_a_bad_declaration_is_refused_clearly_and_changes_nothing(award, firm_user, rows, message):
    claim = drafted(award, firm_user)  # already declared: 40 % IREL, 60 % from CN
    before, audited = rows_of(claim), AuditEvent.objects.count()

    with pytest.raises(ValidationError, match=message):
        services.declare_feedstock(actor=firm_user, claim=claim, rows=rows, now=SUBMITTED_AT)

    assert rows_of(claim) == before and len(before) == 2
    assert AuditEvent.objects.count() == audited


def test_every_bad_row_is_named_at_once_and_a_good_row_is_not_kept(award, firm_user):
    claim = drafted(award, firm_user, feedstock=False)
    rows = [
        {"source": "irel", "tonnes": "1"},
        {"source": "imported", "tonnes": "2"},
        {"source": "recycled", "tonnes": "-3"},
    ]
    with pytest.raises(ValidationError) as refused:
        services.declare_feedstock(actor=firm_user, claim=claim, rows=rows, now=SUBMITTED_AT)
    assert refused.value.messages == [
        "Row 2: an import names its country (e.g. CN).",
        "Row 3: -3 t is negative; oxide used is 0 or more.",
    ]
    assert rows_of(claim) == []


def test_the_database_refuses_bad_rows_too(award, firm_user):
    claim = drafted(award, firm_user, feedstock=False)
    made = {"claim": claim, "declared_by": firm_user, "declared_at": SUBMITTED_AT}
    for fields, constraint in (
        ({"source": "irel", "tonnes": Decimal("-1")}, "feedstock_tonnes_non_negative"),
        ({"source": "imported", "tonnes": Decimal(1)}, "feedstock_import_has_country"),
        ({"source": "imported", "country": "IN", "tonnes": Decimal(1)}, "feedstock_import_has_country"),
        ({"source": "recycled", "country": "CN", "tonnes": Decimal(1)}, "feedstock_import_has_country"),
        ({"source": "other", "tonnes": Decimal(1)}, "feedstock_import_has_country"),
    ):  # fmt: skip
        with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
            FeedstockDeclaration.objects.create(**made, **fields)
    FeedstockDeclaration.objects.create(**made, source="irel", tonnes=Decimal(1))
    with pytest.raises(IntegrityError, match="feedstock_one_row_per_source"), transaction.atomic():
        FeedstockDeclaration.objects.create(**made, source="irel", tonnes=Decimal(2))


def test_only_the_awards_firm_declares_and_only_before_submission(award, firm_user):
    claim = drafted(award, firm_user, feedstock=False)
    for actor in (staff(Role.VERIFIER), staff(Role.OFFICIAL), FirmUserFactory()):
        with pytest.raises(PermissionDenied):
            services.declare_feedstock(actor=actor, claim=claim, rows=MATCHING)
    assert rows_of(claim) == [] and declared_events(claim) == []

    other = sales_award()
    sent = submitted(other, firm_of(other))
    with pytest.raises(ValidationError, match="declared only while it is a draft or returned"):
        services.declare_feedstock(actor=firm_of(other), claim=sent, rows=MATCHING)
    assert len(rows_of(sent)) == 2


# --- submission -----------------------------------------------------------------------------


def test_a_claim_is_not_submitted_without_its_declaration_and_nothing_is_stored(award, firm_user):
    claim = drafted(award, firm_user, feedstock=False)

    with pytest.raises(ValidationError, match="Declare the NdPr oxide") as refused:
        services.submit_claim(
            actor=firm_user, claim=claim, certificate=certificate(), declaration=True,
            now=SUBMITTED_AT,
        )  # fmt: skip

    assert "feedstock" in refused.value.message_dict
    claim.refresh_from_db()
    assert claim.status == S.DRAFT and claim.certificate is None
    assert not ClaimDocument.objects.filter(claim=claim).exists()

    services.declare_feedstock(actor=firm_user, claim=claim, rows=MATCHING, now=SUBMITTED_AT)
    services.submit_claim(
        actor=firm_user, claim=claim, certificate=certificate(), declaration=True,
        now=SUBMITTED_AT,
    )  # fmt: skip
    assert Claim.objects.get(pk=claim.pk).status == S.SUBMITTED
    submitted_event = AuditEvent.objects.get(action="claim.submitted", object_id=str(claim.pk))
    assert submitted_event.new_values["feedstock_tonnes"] == "0.168"


# --- the verifier's check -------------------------------------------------------------------


def test_a_declaration_within_the_tolerance_is_verified_consistent_with_its_figures(
    award, firm_user
):
    verifier = staff(Role.VERIFIER)
    claim = verifiable(award, firm_user, MATCHING, verifier)

    check = feedstock.check_of(claim, verified_kg=claim.eligible_kg)
    assert (check.oxide_tonnes, check.magnet_equivalent_tonnes, check.sold_tonnes) == (
        Decimal("0.168"), Decimal("0.504"), Decimal("0.5025"),
    )  # fmt: skip
    assert check.magnet_per_tonne_oxide == Decimal("3.00") and check.rule_set_version == 1
    assert check.deviation_pct == Decimal("0.30")  # (0.504 - 0.5025) / 0.5025, from the kg
    assert check.within

    services.verify_claim(actor=verifier, claim=claim, now=VERIFIED_AT)

    claim.refresh_from_db()
    assert claim.status == S.VERIFIED
    assert claim.feedstock_conclusion == "consistent" and claim.feedstock_note == ""
    assert claim.feedstock_check["within"] is True
    assert claim.feedstock_check["magnet_equivalent_tonnes"] == "0.504"
    event = AuditEvent.objects.get(action="claim.verified", object_id=str(claim.pk))
    assert event.new_values["feedstock_conclusion"] == "consistent"
    assert event.new_values["feedstock_check"]["deviation_pct"] == "0.30"


def test_a_mismatch_is_flagged_and_verified_only_with_a_reason(award, firm_user):
    verifier = staff(Role.VERIFIER)
    claim = verifiable(award, firm_user, SHORT, verifier)
    check = feedstock.check_of(claim, verified_kg=claim.eligible_kg)
    assert check.deviation_pct == Decimal("-40.30") and not check.within

    for note in ("", "ok fine"):
        with pytest.raises(ValidationError, match="mismatch is accepted") as refused:
            services.verify_claim(actor=verifier, claim=claim, feedstock_note=note, now=VERIFIED_AT)
        assert "feedstock_note" in refused.value.message_dict
        assert Claim.objects.get(pk=claim.pk).status == S.UNDER_VERIFICATION

    reason = "The firm drew 0.2 t of oxide from stock bought in the previous quarter."
    services.verify_claim(actor=verifier, claim=claim, feedstock_note=reason, now=VERIFIED_AT)

    claim.refresh_from_db()
    assert claim.status == S.VERIFIED
    assert (claim.feedstock_conclusion, claim.feedstock_note) == ("mismatch_accepted", reason)
    assert claim.feedstock_check["within"] is False
    event = AuditEvent.objects.get(action="claim.verified", object_id=str(claim.pk))
    assert event.new_values["feedstock_conclusion"] == "mismatch_accepted"
    assert event.new_values["feedstock_note"] == reason


def test_the_database_refuses_an_accepted_mismatch_without_its_reason(award, firm_user):
    claim = drafted(award, firm_user)
    with (
        pytest.raises(IntegrityError, match="claim_feedstock_mismatch_explained"),
        transaction.atomic(),
    ):
        Claim.objects.filter(pk=claim.pk).update(feedstock_conclusion="mismatch_accepted")


def test_the_tolerance_is_a_setting(settings, award, firm_user):
    claim = drafted(award, firm_user, feedstock=False)
    services.declare_feedstock(actor=firm_user, claim=claim, rows=SHORT, now=SUBMITTED_AT)
    assert feedstock.tolerance_pct() == Decimal("10.00")
    assert not feedstock.check_of(claim, verified_kg=claim.eligible_kg).within
    settings.CLAIM_FEEDSTOCK_TOLERANCE_PCT = "45"
    assert feedstock.check_of(claim, verified_kg=claim.eligible_kg).within


def test_a_claim_without_a_declaration_is_not_verified(award, firm_user):
    verifier = staff(Role.VERIFIER)
    claim = verifiable(award, firm_user, MATCHING, verifier)
    FeedstockDeclaration.objects.filter(claim=claim).delete()  # as a claim from before it
    with pytest.raises(ValidationError, match="has no feedstock declaration"):
        services.verify_claim(actor=verifier, claim=claim, now=VERIFIED_AT)
    assert Claim.objects.get(pk=claim.pk).status == S.UNDER_VERIFICATION


# --- shares by source -----------------------------------------------------------------------


def test_shares_sum_to_100_and_match_a_hand_computation(award, firm_user):
    verifier = staff(Role.VERIFIER)
    other = sales_award()
    third = sales_award()
    for built, rows in ((award, MATCHING), (other, OTHER_MATCHING)):
        claim = verifiable(built, firm_of(built), rows, verifier)
        services.verify_claim(actor=verifier, claim=claim, now=VERIFIED_AT)
    # a claim not yet verified does not count
    waiting = drafted(third, firm_of(third), feedstock=False)
    services.declare_feedstock(
        actor=firm_of(third), claim=waiting, rows=[{"source": "imported", "country": "JP", "tonnes": "9"}],
        now=SUBMITTED_AT,
    )  # fmt: skip

    (quarter,) = feedstock.source_shares_by_quarter()

    assert (quarter.label, quarter.start.isoformat(), quarter.end.isoformat()) == (
        "Q1 FY 2027-28", "2027-04-01", "2027-06-30",
    )  # fmt: skip
    assert (quarter.claims, quarter.awards) == (2, 2)
    # IREL 0.068, domestic 0.050, imported 0.100 + 0.100, recycled 0.018: 0.336 t in all
    assert quarter.oxide_tonnes == {
        "irel": Decimal("0.068"), "domestic": Decimal("0.050"),
        "imported": Decimal("0.200"), "recycled": Decimal("0.018"),
    }  # fmt: skip
    assert quarter.magnet_tonnes == {
        "irel": Decimal("0.204"), "domestic": Decimal("0.150"),
        "imported": Decimal("0.600"), "recycled": Decimal("0.054"),
    }  # fmt: skip
    # 20.238..., 14.880..., 59.523..., 5.357...: floored to 99.98, the two largest remainders
    # (IREL's .0081, recycled's .0071) take the last two hundredths
    assert quarter.share_pct == {
        "irel": Decimal("20.24"), "domestic": Decimal("14.88"),
        "imported": Decimal("59.52"), "recycled": Decimal("5.36"),
    }  # fmt: skip
    assert sum(quarter.share_pct.values()) == Decimal("100.00")
    assert quarter.imported_by_country == {"CN": Decimal("0.200")}
    assert quarter.import_share_pct == Decimal("59.52")
    assert quarter.total_magnet_tonnes == Decimal("1.008")

    (year,) = feedstock.source_shares_by_year()
    assert (year.label, year.share_pct) == ("FY 2027-28", quarter.share_pct)

    (own,) = feedstock.source_shares_by_quarter(award=award)
    assert (own.awards, own.share_pct) == (
        1,
        {"irel": Decimal("40.48"), "domestic": Decimal("0.00"),
         "imported": Decimal("59.52"), "recycled": Decimal("0.00")},
    )  # fmt: skip
    assert feedstock.source_shares_by_quarter(award=third) == []


def test_scheme_wide_shares_leave_out_a_quarter_of_one_firm_unless_asked(award, firm_user):
    verifier = staff(Role.VERIFIER)
    claim = verifiable(award, firm_user, MATCHING, verifier)
    services.verify_claim(actor=verifier, claim=claim, now=VERIFIED_AT)

    assert feedstock.source_shares_by_quarter() == []  # one firm's mix is not an aggregate
    assert feedstock.source_shares_by_year() == []
    (officials,) = feedstock.source_shares_by_quarter(min_awards=1)
    (own,) = feedstock.source_shares_by_quarter(award=award)
    assert officials.share_pct == own.share_pct and own.awards == 1


def test_shares_of_equal_thirds_still_sum_to_100():
    shares = feedstock.shares_pct(
        {"irel": Decimal(1), "domestic": Decimal(1), "imported": Decimal(1), "recycled": Decimal(0)}
    )
    assert shares == {
        "irel": Decimal("33.34"), "domestic": Decimal("33.33"),
        "imported": Decimal("33.33"), "recycled": Decimal("0.00"),
    }  # fmt: skip
    assert feedstock.shares_pct(dict.fromkeys(feedstock.SOURCES, Decimal(0))) == dict.fromkeys(
        feedstock.SOURCES, Decimal("0.00")
    )
