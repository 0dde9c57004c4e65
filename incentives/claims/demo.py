"""Demo sales claims: every commissioned award claims each quarter from commissioning to the one before the demo's date.

Files are generated (seeded, so every run makes the same bytes), uploaded by the award's
firm user and stored through the services, synchronously (no worker needed). NeoMag's
second quarter is first refused for three errors and then uploaded again, corrected.
Idempotent: a period that already has an upload is left alone.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zlib

import numpy as np
from django.core.files.uploadedfile import SimpleUploadedFile

from bidding.models import Award
from incentives.claims import selectors, services
from incentives.ingest.columns import HEADER
from repm_portal.demo_clock import DEMO_AS_OF, IST

MAIN_REFERENCE = "MHI/REPM/GTE/2026/01"
# Uploaded this many days after the period ends, at 11:00 IST; the refused file two days earlier.
UPLOAD_AFTER_DAYS = 12

GRADES = {  # grade -> (share of lines, Rs per kg)
    "N35": (0.10, 3300), "N42": (0.18, 3800), "N48": (0.10, 4300), "N52": (0.12, 4700),
    "N38SH": (0.15, 5100), "N42SH": (0.15, 5500), "N38UH": (0.12, 6300), "N33EH": (0.08, 7200),
}  # fmt: skip
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


def _buyers() -> list[tuple[str, str, str, bool]]:
    """(name, GSTIN, export country, related party): the group company of each firm is first."""
    domestic = [(name, _with_check(head), "", False) for name, head in DOMESTIC_BUYERS]
    exports = [(name, "", country, False) for name, country in EXPORT_BUYERS]
    return domestic + exports


def _rng(award: Award, period_start: dt.date) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(f"{award.pk}:{period_start}".encode()))


def _lines(award: Award, period, *, first_number: int, earlier: list[str]) -> list[dict]:
    """A quarter's invoices: volume grows with the plant's ramp-up; a few returns of earlier sales."""
    rng = _rng(award, period.starts_on)
    ramp = min(1.0, 0.25 + 0.15 * first_number / 1000)
    kg_target = award.allocated_mtpa * 1000 * period.days / 365 * ramp * rng.uniform(0.5, 0.7)
    count = int(np.clip(kg_target / 350, 150, 1200))
    buyers = _buyers()
    related_name = f"{award.bid.firm.legal_name.split()[0]} Motors Pvt Ltd"
    group_gstin = _with_check(f"27AAHC{'ABCDE'[award.pk % 5]}{1000 + award.pk % 9000:04d}K1Z")
    buyers.append((related_name, group_gstin, "", True))
    weights = np.array([8, 7, 6, 5, 5, 4, 3, 3, 2, 2, 1, 2], dtype=float)[: len(buyers)]
    weights /= weights.sum()
    grade_names = list(GRADES)
    grade_share = np.array([share for share, _ in GRADES.values()])
    days = np.sort(rng.integers(0, period.days, count))
    buyer_of = rng.choice(len(buyers), size=count, p=weights)
    grade_of = rng.choice(len(grade_names), size=count, p=grade_share / grade_share.sum())
    grams = (rng.lognormal(np.log(kg_target / count * 1000), 0.6, count)).astype(np.int64)
    prices = np.array([GRADES[g][1] for g in grade_names])[grade_of] * rng.uniform(
        0.92, 1.08, count
    )
    fy = period.quarter.fy.label[3:].replace("-", "")
    records = []
    for n in range(count):  # a demo of a few hundred lines: plain Python is clear enough here
        name, gstin, country, related = buyers[buyer_of[n]]
        kg = grams[n] / 1000
        records.append(
            {
                "invoice_number": f"{award.bid.firm.legal_name[:3].upper()}/{fy}/{first_number + n:06d}",
                "invoice_date": (period.starts_on + dt.timedelta(days=int(days[n]))).isoformat(),
                "buyer_name": name,
                "buyer_gstin": gstin,
                "export_country": country,
                "hsn_code": "85051110" if n % 5 else "85051190",
                "magnet_grade": grade_names[grade_of[n]],
                "quantity_kg": f"{kg:.3f}",
                "net_sales_value": f"{kg * prices[n]:.2f}",
                "credit_note_ref": "",
                "related_party": "Y" if related else "N",
                "plant": award.plant.name,
            }
        )
    # One line priced far below the band, for the verifier to look at.
    records[count // 3]["net_sales_value"] = (
        f"{float(records[count // 3]['quantity_kg']) * 400:.2f}"
    )
    # Returns of two invoices of the previous quarter.
    for k, reversed_number in enumerate(earlier[:2]):
        records.append(
            {
                **records[k],
                "invoice_number": f"CN/{fy}/{first_number + k:06d}",
                "invoice_date": (period.starts_on + dt.timedelta(days=5 + k)).isoformat(),
                "quantity_kg": "-12.500",
                "net_sales_value": "-62500.00",
                "credit_note_ref": reversed_number,
            }
        )
    return records


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
    broken[15]["invoice_number"] = broken[14]["invoice_number"]
    return broken


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


def seed() -> list[str]:
    awards = [
        award
        for award in Award.objects.filter(tender__reference=MAIN_REFERENCE)
        .select_related("bid__firm", "rule_set", "plant")
        .order_by("rank")
        if selectors.plant_of(award) is not None and award.plant.commissioned_on is not None
    ]
    if not awards:
        return ["No award is commissioned yet (the gestation demo commissions them): no claims."]
    as_of = DEMO_AS_OF.date()
    report = []
    for award in awards:
        user = award.bid.firm.users.order_by("pk").first()
        if user is None:
            report.append(f"{award}: its firm has no user to upload claims; skipped.")
            continue
        stored = refused = 0
        number = 1
        earlier: list[str] = []
        for period in selectors.periods_of(award):
            if period.ends_on >= as_of:
                break
            records = _lines(award, period, first_number=number, earlier=earlier)
            number += len(records)
            earlier = [r["invoice_number"] for r in records[5:7]]
            if award.sales_uploads.filter(period_start=period.starts_on).exists():
                continue
            upload_day = period.ends_on + dt.timedelta(days=UPLOAD_AFTER_DAYS)
            now = dt.datetime.combine(upload_day, dt.time(11, 0), tzinfo=IST)
            if now >= DEMO_AS_OF:
                break
            slug = f"{user.username}-{period.quarter.label.replace(' ', '-').lower()}"
            name = f"{slug}.csv"
            if award.rank == 1 and period.quarter.number == 2 and not refused:
                first = _upload(award, user, period, _csv(_with_errors(records, period)),
                                name, now - dt.timedelta(days=2))  # fmt: skip
                refused += first.status == "rejected"
                name = f"{slug}-corrected.csv"
            upload = _upload(
                award, user, period, _csv(records, delimiter=";" if award.rank == 2 else ","),
                name, now,
            )  # fmt: skip
            stored += upload.status == "accepted"
        report.append(
            f"{award.bid.bidder_name} ({award.label}): {stored} quarterly claim(s) stored"
            + (f", {refused} file refused first and corrected" if refused else "")
        )
    return report
