"""Demo of the capital subsidy, played forward through the services after the gestation demo.

Each commissioned award of the main tender uploads an investment ledger a month after
commissioning, with a CA certificate; every ledger holds a line under "other", one invoice dated
before the eligible-from date and one repeated invoice, so the page shows lines judged not
eligible. All but the last to commission are verified (one with a line excluded), approved by a
different person, sanctioned (letters issued synchronously) and paid, one letter only in part;
the last to commission files its ledger late, three weeks before the demo's date, so it waits for
the verifier. Idempotent: an award that has a claim is left alone (its payments are made if
missing); an award not commissioned is skipped.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.core.files.uploadedfile import SimpleUploadedFile

from beneficiaries.models import User
from bidding.models import Award
from incentives import sanctions
from incentives import services as money_services
from incentives.capital import columns, services
from incentives.capital.models import CapitalSubsidyClaim, InvestmentLine
from incentives.gestation.models import Plant
from incentives.models import SanctionLetter, SanctionRequest
from repm_portal import jobs
from repm_portal.demo_clock import DEMO_AS_OF
from repm_portal.money import crore, format_inr, to_money
from repm_portal.pdf import render_pdf
from repm_portal.roles import Role

IST = ZoneInfo("Asia/Kolkata")
MAIN_REFERENCE = "MHI/REPM/GTE/2026/01"

# (item, head, vendor, share of the award's eligible investment in per mille, months before commissioning)
LEDGER = [
    (
        "Strip casting furnace, 600 kg/heat",
        "plant and machinery",
        "Shanti Thermal Engineering Pvt Ltd",
        210,
        20,
    ),
    ("Hydrogen decrepitation line", "plant and machinery", "Hind High Vacuum Co Pvt Ltd", 140, 18),
    (
        "Jet mill and classifier, 2 units",
        "plant and machinery",
        "Hosokawa Micron India Pvt Ltd",
        120,
        16,
    ),
    (
        "Magnetic field press, 3 units",
        "plant and machinery",
        "Dorst Technologies India Pvt Ltd",
        150,
        14,
    ),
    (
        "Vacuum sintering furnaces, 6 units",
        "plant and machinery",
        "Seco/Warwick India Pvt Ltd",
        180,
        12,
    ),
    (
        "Grain boundary diffusion line",
        "technology transfer",
        "Tokyo Magnetics Licensing KK",
        90,
        10,
    ),
    ("Pilot coating and magnetiser bench", "R&D", "IIT Madras Research Park", 50, 8),
    ("Metrology lab: hysteresigraph, XRF", "R&D", "Magnet-Physik India Pvt Ltd", 40, 6),
    ("Boundary wall and access road", "other", "Sri Lakshmi Constructions", 60, 19),
]
# Eligible investment per award, in crore: above each slab's minimum, so the figure shows which
# limit binds (the 1,200 MTPA awards reach their Rs 150 crore cap; the others get the 15 % rate).
ELIGIBLE_CRORE = {1200: 1080, 1100: 660, 1000: 720, 900: 560, 800: 610, 700: 450, 600: 330}
# The late claimant files this many days before the demo's date.
LATE_FILING_DAYS = 21
# Tranches (days after the letter, share of the sanction) by rank: L4's letter is part-paid.
PAYMENTS = {
    1: [(18, Decimal("1"))],
    2: [(12, Decimal("0.6")), (26, Decimal("0.4"))],
    4: [(21, Decimal("0.5"))],
    5: [(16, Decimal("1"))],
}


def _at(day: dt.date, hour: int = 11) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, 0), tzinfo=IST)


def _months_before(day: dt.date, months: int) -> dt.date:
    month = day.month - months
    year = day.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    return dt.date(year, month, min(day.day, 28))


def _ledger(award: Award, commissioned: dt.date) -> tuple[bytes, list[list[str]]]:
    eligible = crore(ELIGIBLE_CRORE.get(award.allocated_mtpa, 700))
    rows = []
    for n, (item, head, vendor, share, months) in enumerate(LEDGER, start=1):
        amount = (eligible * share / 1000).quantize(Decimal("0.01"))
        date = _months_before(commissioned, months)
        rows.append(
            [
                item,
                head,
                vendor,
                f"{vendor.split()[0].upper()}/{date:%y}/{n:04d}",
                date.isoformat(),
                f"{amount:.2f}",
            ]
        )
    # Paid before the eligible-from date: listed, judged not eligible.
    rows.append(
        [
            "Site survey and soil testing",
            "R&D",
            "Geo Survey Associates",
            "GSA/2024/0311",
            "2025-02-12",
            "4850000.00",
        ]
    )
    # The first furnace invoice again, as a ledger drawn from two registers would have it.
    rows.append([*rows[0][:3], rows[0][3].lower(), rows[0][4], rows[0][5]])
    text = ",".join(columns.HEADER) + "\n"
    for row in rows:
        text += ",".join(f'"{cell}"' for cell in row) + "\n"
    return text.encode("utf-8"), rows


def _certificate(award: Award, data: bytes, rows: list[list[str]], dated: dt.date) -> bytes:
    heads: dict[str, Decimal] = {}
    for row in rows:
        heads[row[1]] = heads.get(row[1], Decimal("0")) + Decimal(row[5])
    return render_pdf(
        "capital/pdf/ca_certificate.html",
        {
            "ca_firm": "Iyer Bhatt & Associates",
            "frn": "012345S",
            "partner": "CA Meenakshi Iyer",
            "membership": "204518",
            "udin": f"29204518BK{award.pk:06d}",
            "place": "Bengaluru",
            "dated": dated,
            "firm": award.bid.firm.legal_name,
            "award_label": award.label,
            "tender": award.tender.reference,
            "lines": len(rows),
            "sha256": hashlib.sha256(data).hexdigest(),
            "heads": [(head, format_inr(amount)) for head, amount in heads.items()],
            "total": format_inr(sum(heads.values(), start=Decimal("0"))),
        },
    )


def _claimant(award: Award) -> User:
    return award.bid.firm.users.filter(role=Role.FIRM_USER, is_active=True).order_by("pk").first()


def _utr(letter: SanctionLetter, n: int) -> str:
    return f"SBIN{letter.financial_year.replace('-', '')}{letter.serial:06d}{n}"


def _pay(award: Award, official: User) -> int:
    """The award's tranches against its capital subsidy letter, each on its own date; missing ones only."""
    letter = SanctionLetter.objects.filter(
        award=award, claim_type=services.CLAIM_TYPE, status=SanctionLetter.Status.ISSUED,
        reversed_by__isnull=True,
    ).first()  # fmt: skip
    if letter is None:
        return 0
    made = 0
    for n, (days, share) in enumerate(PAYMENTS.get(award.rank, []), start=1):
        utr = _utr(letter, n)
        paid_on = letter.dated + dt.timedelta(days=days)
        moment = _at(paid_on, 15)
        if moment >= DEMO_AS_OF or letter.payments.filter(utr=utr).exists():
            continue
        money_services.record_payment(
            actor=official, letter=letter, amount=to_money(letter.amount * share),
            paid_on=paid_on, utr=utr, remarks="Released through PFMS", now=moment,
        )  # fmt: skip
        made += 1
    return made


def seed() -> list[str]:
    awards = list(
        Award.objects.filter(tender__reference=MAIN_REFERENCE)
        .select_related("tender", "bid__firm", "rule_set")
        .order_by("rank")
    )
    plants = {p.award_id: p for p in Plant.objects.filter(award__in=awards)}
    commissioned = [
        a for a in awards if a.pk in plants and plants[a.pk].commissioned_on is not None
    ]
    if not commissioned:
        return ["No commissioned award yet: no capital subsidy claim."]
    # The last to commission waits for the verifier, so the demo verifier has work.
    waiting = max(commissioned, key=lambda a: (plants[a.pk].commissioned_on, a.rank))
    verifier = User.objects.get(username="verifier")
    approver = User.objects.get(username="approver")
    official = User.objects.get(username="official")
    out = []
    paid = 0
    for award in commissioned:
        if CapitalSubsidyClaim.objects.filter(award=award).exists():
            paid += _pay(award, official)
            continue
        firm_user = _claimant(award)
        on = plants[award.pk].commissioned_on
        uploaded = _at(on + dt.timedelta(days=30))
        if award.pk == waiting.pk:
            uploaded = DEMO_AS_OF - dt.timedelta(days=LATE_FILING_DAYS)
        if uploaded >= DEMO_AS_OF:
            continue
        data, rows = _ledger(award, on)
        pdf = _certificate(award, data, rows, uploaded.date())
        claim = services.upload_ledger(
            actor=firm_user,
            award=award,
            ledger_file=SimpleUploadedFile("investment-ledger.csv", data, content_type="text/csv"),
            certificate_file=SimpleUploadedFile(
                "ca-certificate.pdf", pdf, content_type="application/pdf"
            ),
            now=uploaded,
        )
        services.submit_claim(actor=firm_user, claim=claim, now=uploaded + dt.timedelta(days=2))
        if award.pk == waiting.pk:
            out.append(f"{claim.reference}: submitted, waiting for the verifier")
            continue
        exclusions = {}
        if award.rank == 2:
            metrology = InvestmentLine.objects.get(
                claim=claim, document_id=claim.ledger_id, row_number=9
            )
            exclusions[metrology.pk] = (
                "Installation not seen at the site visit; claim it once installed"
            )
        services.verify_claim(
            actor=verifier,
            claim=claim,
            exclusions=exclusions,
            remarks="Invoices traced to the CA certificate and the site visit report.",
            now=uploaded + dt.timedelta(days=21),
        )
        approved = uploaded + dt.timedelta(days=30)
        services.approve_claim(actor=approver, claim=claim, now=approved)
        request = SanctionRequest.objects.get(key=f"{services.CLAIM_TYPE}:{claim.pk}")
        # as the worker would: through the request's job
        jobs.run(
            sanctions.ISSUE_TASK,
            request.pk,
            lambda run, pk=request.pk, at=approved: sanctions.issue(
                pk, now=at + dt.timedelta(hours=2)
            ),
        )
        letter = SanctionLetter.objects.filter(request=request).first()
        made = _pay(award, official)
        paid += made
        claim.refresh_from_db()
        out.append(
            f"{claim.reference}: {claim.get_status_display().lower()}"
            + (f", {letter.number} for {format_inr(letter.amount)}" if letter else "")
            + (f", {made} payment(s)" if made else "")
        )
    if not out and paid:
        out.append(f"{paid} capital subsidy payment(s) recorded.")
    return out or ["Capital subsidy claims already seeded."]
