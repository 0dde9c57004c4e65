"""Demo sales claims: every commissioned award claims each quarter to the demo's date, and the officials work them.

Each quarter's file is small (12-30 invoices) and generated from a seed, so every run makes the
same bytes; the firm user uploads it, submits it with a CA certificate and the declaration, the
verifier verifies it and the approver approves it, which asks for its SLI sanction (the SLI demo
issues the letters, as the worker would). The sales are shaped so that the caps show: one of
Kaveri's quarters sells cheap grades (the 40 % turnover cap binds), one of NeoMag's sells past its
capacity (the capacity cap binds), and Bharat sells at a price where a turnover cap of 30 % binds
but 40 % does not, so the amendment of 1 Jan 2030 (made here, before any claim names its rule set)
leaves its FY 2029-30 quarters with more than the year's figure: an excess the true-up recovers.
Bharat's last quarter of that year is heavy with credit notes, which widens the excess.

Along the way: NeoMag's Q2 FY 2028-29 file is refused first for three errors and then uploaded
corrected; one of Deccan's claims is returned for two missing invoices and resubmitted; Kaveri
has a line excluded and NeoMag a line's kg corrected, each with its reason; L5 Vidarbha stops
claiming when it exits the scheme (the recovery demo). Every claim declares the oxide it used by
source, the import share falling over the years; one under-declared claim is flagged by the
verifier's feedstock check and accepted with a reason. The latest quarter is left with Deccan
submitted and Kaveri verified, so the verifier's and the approver's queues are not empty.
Idempotent: each claim is taken on from wherever it stands.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zlib
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
from django.core.files.uploadedfile import SimpleUploadedFile

from beneficiaries.models import User
from bidding.models import Award
from incentives.claims import feedstock, selectors, services
from incentives.claims.models import Claim, ClaimLine
from incentives.gestation.demo import _pdf
from incentives.ingest.columns import HEADER
from incentives.recovery.demo import EXIT_ON, EXITING_RANK
from repm_portal.demo_clock import DEMO_AS_OF, IST
from repm_portal.models import RuleSet
from repm_portal.services import amend_rule_set

MAIN_REFERENCE = "MHI/REPM/GTE/2026/01"
S = Claim.Status

# An illustrative amendment (no such notification exists) that shows rule versions at work: a claim
# is computed under the version in force on its period end, and a mid-year change gives a true-up
# an excess to net (under one rule set, the year computed whole never falls below its quarters).
AMENDMENT = {
    "notification": "Demo amendment (illustrative)",
    "notified_on": dt.date(2029, 12, 10),
    "effective_from": dt.date(2030, 1, 1),
    "summary": (
        "Illustrative, for the demo only: turnover cap of the sales-linked incentive lowered "
        "from 40 % to 30 % of net sales value"
    ),
    "changes": {"turnover_cap_pct": Decimal("30.00")},
}

# Days after the period ends (at 11:00 IST) that each step of a claim is taken.
STEPS = {"upload": 4, "submit": 6, "start": 9, "adjust": 11, "verify": 14, "approve": 17}
# The returned claim: back to the firm a day into verification, corrected and resubmitted.
RETURNED_STEPS = STEPS | {"return": 10, "reupload": 11, "resubmit": 12, "restart": 13,
                          "verify": 16, "approve": 19}  # fmt: skip

# Average price per kg of each award's sales (by rank): Bharat's sits where 40 % of it is more
# than its rate (Rs 1,910) but 30 % less; the others' stay above their rate at 30 %.
PRICE = {1: 7200, 2: 5100, 3: 7100, 4: 7300, 5: 7400}
# (rank, quarter): what is special about that quarter's sales.
CHEAP = {(4, "Q4 FY 2028-29"): 4300}  # cheap grades: the turnover cap binds
OVER_CAPACITY = {(1, "Q3 FY 2030-31"): 1.05}  # share of the quarter's capacity sold
CREDIT_HEAVY = {(2, "Q4 FY 2029-30")}  # returns of a third of the previous quarter's sales
EXCLUDED = {(4, "Q1 FY 2029-30")}  # a line priced far below the band, excluded by the verifier
CORRECTED = {(1, "Q2 FY 2029-30")}  # a line's kg corrected by the verifier
RETURNED = {(3, "Q2 FY 2029-30")}  # returned for two missing invoices, then resubmitted
# The latest quarter of these awards waits in the officials' queues.
LEFT_AT = {3: S.SUBMITTED, 4: S.VERIFIED}
REFUSED_FIRST = (1, 2)  # NeoMag's Q2 of its first year: refused for three errors, then corrected

# Feedstock: the share of each source in the oxide the plants use moves from the first quarters
# (Apr 2028) to the last (Apr 2031): imports (mostly China) fall from 85 % to 50 %, IREL's and
# recycled oxide rise, so the monitor shows the trend the scheme exists to move. The oxide is the
# magnets sold divided by the rule set's ratio, within +-3 %; one claim declares a fifth too
# little, and the verifier's check flags it and one more (FEEDSTOCK_NOTES: accepted, with why).
FEEDSTOCK_FROM, FEEDSTOCK_TO = dt.date(2028, 4, 1), dt.date(2031, 4, 1)
FEEDSTOCK_SHARES = {  # source (country): (share at the start, at the end), %
    ("imported", "CN"): (Decimal(83), Decimal(46)),
    ("imported", "MY"): (Decimal(2), Decimal(4)),
    ("irel", ""): (Decimal(8), Decimal(30)),
    ("domestic", ""): (Decimal(5), Decimal(8)),
    ("recycled", ""): (Decimal(2), Decimal(12)),
}
UNDER_DECLARED = {(2, "Q3 FY 2029-30"): Decimal("0.8")}
# Why the verifier accepts each flagged check: the under-declared quarter, and the quarter whose
# excluded line (its price, not its making, was in doubt) leaves more oxide than magnets counted.
FEEDSTOCK_NOTES = {
    (2, "Q3 FY 2029-30"): (
        "The plant's stock register shows magnets sintered in the previous quarter from oxide "
        "declared then and sold in this one; the mismatch is timing, not a missing source."
    ),
    (4, "Q1 FY 2029-30"): (
        "The excluded invoice's magnets were made from this oxide and dispatched; the line was "
        "excluded for its price, so the declared oxide is right."
    ),
}

GRADES = ["N35", "N42", "N48", "N52", "N38SH", "N42SH", "N38UH", "N33EH"]
DOMESTIC_BUYERS = [
    ("Ola Electric Mobility Ltd", "29AAFCO4213H1Z"),
    ("TVS Motor Company Ltd", "33AAACT5012N1Z"),
    ("Suzlon Energy Ltd", "24AADCS0472N1Z"),
    ("Crompton Greaves Consumer Electricals Ltd", "27AAFCC1364E1Z"),
    ("Bajaj Auto Ltd", "27AAACB3093L1Z"),
    ("Mahindra Electric Automobile Ltd", "29AAGCM7826L1Z"),
    ("Inox Wind Ltd", "09AADCI3821M1Z"),
    ("Lucas TVS Ltd", "33AAACL0912Q1Z"),
]
EXPORT_BUYERS = [
    ("Bosch Antriebe GmbH", "DE"),
    ("Nidec Motor Corp", "JP"),
    ("Regal Rexnord Inc", "US"),
]


def _with_check(head: str) -> str:
    from beneficiaries.validators import gstin_check_character

    return head + gstin_check_character(head)


def _buyers(award: Award) -> list[tuple[str, str, str, bool]]:
    """(name, GSTIN, export country, related party): eight Indian buyers, three abroad, the group company."""
    domestic = [(name, _with_check(head), "", False) for name, head in DOMESTIC_BUYERS]
    exports = [(name, "", country, False) for name, country in EXPORT_BUYERS]
    related_name = f"{award.bid.firm.legal_name.split()[0]} Motors Pvt Ltd"
    group_gstin = _with_check(f"27AAHC{'ABCDE'[award.pk % 5]}{1000 + award.pk % 9000:04d}K1Z")
    return [*domestic, *exports, (related_name, group_gstin, "", True)]


def _rng(award: Award, period_start: dt.date) -> np.random.Generator:
    # By rank, not id: the same sales whatever ids the database hands out.
    return np.random.default_rng(zlib.crc32(f"L{award.rank}:{period_start}".encode()))


def _key(award: Award, period) -> tuple[int, str]:
    return (award.rank, period.quarter.label)


def _lines(
    award: Award, period, *, index: int, first_number: int, earlier: list[dict]
) -> list[dict]:
    """A quarter's invoices: volume ramps up over the first quarters; returns of earlier sales."""
    rng = _rng(award, period.starts_on)
    key = _key(award, period)
    share = OVER_CAPACITY.get(key, min(0.78, 0.46 + 0.04 * index) * rng.uniform(0.94, 1.04))
    kg_target = award.allocated_mtpa * 1000 * period.days / period.quarter.fy.days * share
    price = CHEAP.get(key, PRICE.get(award.rank, 7000))
    count = int(rng.integers(12, 23))  # with up to eight credit notes, at most 30 lines
    buyers = _buyers(award)
    weights = np.array([8, 7, 6, 5, 5, 4, 3, 3, 2, 2, 1, 2], dtype=float)[: len(buyers)]
    buyer_of = rng.choice(len(buyers), size=count, p=weights / weights.sum())
    grade_of = rng.integers(0, len(GRADES), count)
    days = np.sort(rng.integers(0, period.days, count))
    spread = rng.lognormal(0, 0.35, count)
    grams = np.floor(spread / spread.sum() * kg_target * 1000).astype(np.int64)
    prices = price * rng.uniform(0.95, 1.05, count)
    fy = period.quarter.fy.label[3:].replace("-", "")
    prefix = award.bid.firm.legal_name[:3].upper()
    records = []
    for n in range(count):  # a file of a few dozen lines: plain Python is clear enough here
        name, gstin, country, related = buyers[buyer_of[n]]
        kg = Decimal(int(grams[n])) / 1000
        records.append(
            {
                "invoice_number": f"{prefix}/{fy}/{first_number + n:06d}",
                "invoice_date": (period.starts_on + dt.timedelta(days=int(days[n]))).isoformat(),
                "buyer_name": name,
                "buyer_gstin": gstin,
                "export_country": country,
                "hsn_code": "85051110" if n % 5 else "85051190",
                "magnet_grade": GRADES[grade_of[n]],
                "quantity_kg": f"{kg:.3f}",
                "net_sales_value": f"{kg * Decimal(f'{prices[n]:.2f}'):.2f}",
                "credit_note_ref": "",
                "related_party": "Y" if related else "N",
                "plant": award.plant.name,
            }
        )
    if key in EXCLUDED:  # one line priced far below the band, for the verifier to look at
        record = records[count // 3]
        record["net_sales_value"] = f"{Decimal(record['quantity_kg']) * 400:.2f}"
    # Returns of invoices of the previous quarter: two small ones, or a third of its volume.
    heavy = key in CREDIT_HEAVY
    for k, returned in enumerate(earlier[: 8 if heavy else 2]):
        kg = (Decimal(returned["quantity_kg"]) * Decimal("0.6")).quantize(Decimal("0.001")) if heavy else Decimal("12.500")  # fmt: skip
        rate = Decimal(returned["net_sales_value"]) / Decimal(returned["quantity_kg"])
        records.append(
            {
                **returned,
                "invoice_number": f"CN/{prefix}/{fy}/{first_number + k:06d}",
                "invoice_date": (period.starts_on + dt.timedelta(days=5 + k)).isoformat(),
                "quantity_kg": f"{-kg:.3f}",
                "net_sales_value": f"{-(kg * rate):.2f}",
                "credit_note_ref": returned["invoice_number"],
            }
        )
    return records


def _feedstock(award: Award, period, records: list[dict]) -> list[dict]:
    """The oxide the quarter's magnets were made from, by source, as the firm declares it."""
    span = (FEEDSTOCK_TO - FEEDSTOCK_FROM).days
    progress = Decimal(min(max((period.starts_on - FEEDSTOCK_FROM).days, 0), span)) / span
    sold = sum((Decimal(r["quantity_kg"]) for r in records), Decimal(0)) / 1000
    jitter = Decimal(f"{_rng(award, period.ends_on).uniform(0.97, 1.03):.4f}")
    oxide = sold / award.rule_set.magnet_per_tonne_oxide * jitter
    oxide *= UNDER_DECLARED.get(_key(award, period), Decimal(1))
    return [
        {
            "source": source, "country": country,
            "tonnes": (oxide * (start + (end - start) * progress) / 100).quantize(Decimal("0.001")),
        }
        for (source, country), (start, end) in FEEDSTOCK_SHARES.items()
    ]  # fmt: skip


def _file(award: Award, records: list[dict]) -> bytes:
    """The award's file as its firm writes it: Bharat's spreadsheet exports with semicolons."""
    return _csv(records, delimiter=";" if award.rank == 2 else ",")


def _filed(key, records: list[dict]) -> list[dict]:
    """What the firm uploads first: the returned claim's file is two invoices short."""
    return records[:-4] + records[-2:] if key in RETURNED else records


def _csv(records: list[dict], *, delimiter: str = ",") -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(
        buffer, fieldnames=list(HEADER), delimiter=delimiter, lineterminator="\r\n"
    )
    writer.writeheader()
    writer.writerows(records)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _with_errors(records: list[dict], period) -> list[dict]:
    """Three mistakes a firm makes: a wrong HSN code, a date in the next quarter, a repeated invoice."""
    broken = [dict(r) for r in records]
    broken[4]["hsn_code"] = "85059000"
    broken[9]["invoice_date"] = (period.ends_on + dt.timedelta(days=2)).isoformat()
    broken[11]["invoice_number"] = broken[10]["invoice_number"]
    return broken


def _certificate(award: Award, period, data: bytes, version: int = 1) -> SimpleUploadedFile:
    """A small CA certificate naming the file it certifies (by its SHA-256)."""
    import hashlib

    pdf = _pdf(
        "Certificate of sales: sales-linked incentive",
        [
            award.bid.firm.legal_name,
            f"{award.label} of {award.tender.reference}, {period.label}",
            f"Sales file SHA-256 {hashlib.sha256(data).hexdigest()[:32]}...",
            "Invoices traced to the GST returns (GSTR-1) and the books of account.",
            "CA Meenakshi Iyer, Iyer Bhatt & Associates (FRN 012345S), M. No. 204518",
            f"Version {version}",
        ],
    )
    return SimpleUploadedFile("ca-certificate.pdf", pdf, content_type="application/pdf")


def _upload(award, user, period, data: bytes, name: str, now: dt.datetime):
    received = services.receive_upload(
        actor=user,
        award=award,
        period_start=period.starts_on,
        upload=SimpleUploadedFile(name, data, content_type="text/csv"),
        now=now,
        enqueue=False,
    )
    return services.process_upload(upload_id=received.upload.pk, now=now) or received.upload


def _amend(official: User) -> RuleSet:
    found = RuleSet.objects.filter(notification=AMENDMENT["notification"]).first()
    return found or amend_rule_set(actor=official, **AMENDMENT)


@dataclass
class Officials:
    verifier: User
    approver: User


def _at(period, day: int) -> dt.datetime:
    moment = dt.datetime.combine(period.ends_on + dt.timedelta(days=day), dt.time(11), tzinfo=IST)
    if moment >= DEMO_AS_OF:
        raise ValueError(f"The demo's claim step on {moment:%d %b %Y} is after its date.")
    return moment


def _adjust(claim: Claim, key, officials: Officials, now: dt.datetime) -> None:
    if claim.adjustments.exists():
        return
    lines = ClaimLine.objects.filter(claim=claim, credit_note_ref="").order_by("row")
    if key in EXCLUDED:
        line = min(lines, key=lambda line: line.net_sales_value / line.quantity_kg)
        services.adjust_line(
            actor=officials.verifier, claim=claim, row=line.row, kind="exclude",
            reason=(
                f"Invoice {line.invoice_number} is priced at Rs 400/kg, far below the band for "
                f"{line.magnet_grade}; the firm could not show it was at arm's length."
            ),
            now=now,
        )  # fmt: skip
    if key in CORRECTED:
        line = lines[2]
        kg = (line.quantity_kg * Decimal("0.9")).quantize(Decimal("0.001"))
        services.adjust_line(
            actor=officials.verifier, claim=claim, row=line.row, kind="correct",
            quantity_kg=kg,
            reason=(
                f"The weighbridge slip and e-way bill of invoice {line.invoice_number} show "
                f"{kg} kg dispatched; the invoice was raised on the order quantity."
            ),
            now=now,
        )  # fmt: skip


def _walk(claim: Claim, *, award, user, period, key, records, stop: str | None, officials) -> Claim:
    """Take the claim on from where it stands to approval (or to `stop`)."""
    returned = key in RETURNED
    steps = RETURNED_STEPS if returned else STEPS
    data = _file(award, records)

    def at(step: str) -> dt.datetime:
        return _at(period, steps[step])

    def fresh() -> Claim:
        return Claim.objects.get(pk=claim.pk)

    if claim.status == S.DRAFT and not claim.feedstock.exists():
        services.declare_feedstock(
            actor=user, claim=claim, rows=_feedstock(award, period, records), now=at("submit")
        )
    if claim.status == S.DRAFT:
        filed = _file(award, _filed(key, records))
        services.submit_claim(
            actor=user, claim=claim, certificate=_certificate(award, period, filed),
            declaration=True, now=at("submit"),
        )  # fmt: skip
        claim = fresh()
    if claim.status == S.SUBMITTED and stop != S.SUBMITTED:
        corrected = returned and claim.award.sales_uploads.filter(
            period_start=period.starts_on
        ).count() > 1  # fmt: skip
        services.start_verification(
            actor=officials.verifier, claim=claim, now=at("restart" if corrected else "start")
        )
        claim = fresh()
    if claim.status == S.UNDER_VERIFICATION and returned and claim.award.sales_uploads.filter(
        period_start=period.starts_on
    ).count() == 1:  # fmt: skip
        services.return_claim(
            actor=officials.verifier, claim=claim,
            reason=(
                f"Invoices {records[-4]['invoice_number']} and {records[-3]['invoice_number']} are in the "
                "GST return (GSTR-1) for the quarter but not in the file; add them and upload again."
            ),
            now=at("return"),
        )  # fmt: skip
        claim = fresh()
    if claim.status == S.RETURNED:
        name = f"{user.username}-{period.quarter.label.replace(' ', '-').lower()}-complete.csv"
        _upload(award, user, period, data, name, at("reupload"))
        services.submit_claim(
            actor=user, claim=fresh(), certificate=_certificate(award, period, data, 2),
            declaration=True, now=at("resubmit"),
        )  # fmt: skip
        services.start_verification(actor=officials.verifier, claim=fresh(), now=at("restart"))
        claim = fresh()
    if claim.status == S.UNDER_VERIFICATION:
        _adjust(claim, key, officials, at("adjust"))
        services.verify_claim(
            actor=officials.verifier, claim=claim,
            remarks="Invoices sampled against GSTR-1 and e-way bills; plant production log consistent.",
            feedstock_note=FEEDSTOCK_NOTES.get(key, ""), now=at("verify"),
        )  # fmt: skip
        claim = fresh()
    if claim.status == S.VERIFIED and stop != S.VERIFIED:
        services.approve_claim(actor=officials.approver, claim=claim, now=at("approve"))
        claim = fresh()
    return claim


def _claimable(award: Award) -> list:
    """The award's periods it claims by the demo's date: uploaded before it, and before its exit."""
    periods = []
    for period in selectors.periods_of(award):
        uploaded, approved = (
            dt.datetime.combine(period.ends_on + dt.timedelta(days=STEPS[step]), dt.time(11), tzinfo=IST)
            for step in ("upload", "approve")
        )  # fmt: skip
        if approved >= DEMO_AS_OF:
            break
        if award.rank == EXITING_RANK and uploaded.date() >= EXIT_ON:
            break
        periods.append(period)
    return periods


def seed() -> list[str]:
    awards = [
        award
        for award in Award.objects.filter(tender__reference=MAIN_REFERENCE)
        .select_related("bid__firm", "rule_set", "plant", "tender")
        .order_by("rank")
        if selectors.plant_of(award) is not None and award.plant.commissioned_on is not None
    ]
    if not awards:
        return ["No award is commissioned yet (the gestation demo commissions them): no claims."]
    officials = Officials(
        verifier=User.objects.get(username="verifier"),
        approver=User.objects.get(username="approver"),
    )
    amendment = _amend(User.objects.get(username="official"))
    report = [
        f"Rule set v{amendment.version} ({amendment.notification}, from "
        f"{amendment.effective_from:%d %b %Y}): {amendment.summary.lower()}"
    ]
    for award in awards:
        user = award.bid.firm.users.order_by("pk").first()
        if user is None:
            report.append(f"{award}: its firm has no user to upload claims; skipped.")
            continue
        refused = 0
        number = 1
        earlier: list[dict] = []
        periods = _claimable(award)
        for index, period in enumerate(periods):
            key = _key(award, period)
            records = _lines(award, period, index=index, first_number=number, earlier=earlier)
            number += len(records)
            earlier = [r for r in records if not r["credit_note_ref"]][5:13]
            claim = Claim.objects.filter(award=award, period_start=period.starts_on).first()
            if claim is None:
                slug = f"{user.username}-{period.quarter.label.replace(' ', '-').lower()}"
                now = _at(period, STEPS["upload"])
                if (award.rank, period.quarter.number) == REFUSED_FIRST and index < 4:
                    first = _upload(award, user, period, _csv(_with_errors(records, period)),
                                    f"{slug}.csv", now - dt.timedelta(days=2))  # fmt: skip
                    refused += first.status == "rejected"
                    slug += "-corrected"
                _upload(award, user, period, _file(award, _filed(key, records)), f"{slug}.csv", now)
                claim = Claim.objects.get(award=award, period_start=period.starts_on)
            latest = index == len(periods) - 1
            _walk(
                claim, award=award, user=user, period=period, key=key, records=records,
                stop=LEFT_AT.get(award.rank) if latest else None, officials=officials,
            )  # fmt: skip
        claims = Claim.objects.filter(award=award)
        counts = {status: claims.filter(status=status).count() for status in S.values}
        waiting = [
            f"{n} {S(status).label.lower()}"
            for status, n in counts.items()
            if n and status != S.APPROVED
        ]
        report.append(
            f"{award.label} {award.bid.bidder_name}: {claims.count()} quarterly claims, "
            f"{counts[S.APPROVED]} approved" + (f", {', '.join(waiting)}" if waiting else "")
            + (f", {refused} file refused first and corrected" if refused else "")
            + (f" (no claim after its exit on {EXIT_ON:%d %b %Y})" if award.rank == EXITING_RANK else "")
        )  # fmt: skip
    shares = feedstock.source_shares_by_quarter(min_awards=1)
    if shares:
        first, last = shares[0], shares[-1]
        flagged = Claim.objects.filter(feedstock_conclusion="mismatch_accepted").count()
        report.append(
            f"Feedstock of verified claims: imported oxide made {first.import_share_pct} % of the "
            f"magnets in {first.label} and {last.import_share_pct} % in {last.label} (IREL "
            f"{first.share_pct['irel']} % -> {last.share_pct['irel']} %, recycled "
            f"{first.share_pct['recycled']} % -> {last.share_pct['recycled']} %); {flagged} "
            "feedstock mismatches flagged and accepted with a reason"
        )
    return report
