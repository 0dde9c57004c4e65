"""Each kind of PDF the portal makes, rendered once from its real template and context builder.

The contexts follow what the services store (award and sanction letter contents, bid receipts,
the monitor's summary, the demo seed's documents); nothing here touches the database.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from types import SimpleNamespace

from incentives import sanctions
from incentives.models import SanctionLetter
from repm_portal.pdf import evidence_pdf, render_pdf

IST = dt.timezone(dt.timedelta(hours=5, minutes=30))
LETTERHEAD_HI = ["भारत सरकार", "भारी उद्योग मंत्रालय"]


@dataclass
class Document:
    kind: str
    pdf: bytes
    title: str
    hindi: list[str] = field(default_factory=list)  # Hindi strings the document must read back
    dates: list[str] = field(default_factory=list)  # dates as every document writes them


def award_letter() -> Document:
    content = {
        "tender": {"reference": "REPM/T/2026/01", "title": "Sintered NdFeB magnets, tranche 1"},
        "bidder": "NeoMag-Sakura Consortium",
        "lead_firm": "NeoMag Industries Limited",
        "address": "Plot 14, Sector 5\nIMT Manesar, Haryana 122 051",
        "signatory": "Anita Rao, Director",
        "members": [{"name": "NeoMag Industries Limited", "role": "Lead", "equity_pct": "74.00"}],
        "rank": "L1",
        "quoted_rate": "1980.00",
        "bid_capacity_mtpa": 1200,
        "allocated_mtpa": 1200,
        "is_partial": False,
        "oxide_mtpa": "120.000",
        "award_date": "2026-07-28",
        "gestation_months": 24,
        "sli_months": 60,
        "ceiling_rate": "2100.00",
        "cumulative_cap": "11880000000.00",
        "pbg_amount": "300000000.00",
        "pbg_valid_until": "2033-07-28",
        "rule_set": {"version": 1, "notification": "S.O. 1234(E)"},
        "issued_by": {"name": "R. Sharma", "designation": "Director (Auto)"},
    }
    pdf = render_pdf(
        "bidding/pdf/award_letter.html",
        {"letter": SimpleNamespace(number="REPM/LoA/2026/0001"), "c": content},
    )
    return Document(
        "award letter",
        pdf,
        "Letter of Award REPM/LoA/2026/0001",
        [*LETTERHEAD_HI, "अधिनिर्णय पत्र"],
        ["28 Jul 2026", "28 Jul 2033"],
    )


def sanction_letter() -> Document:
    letter = SanctionLetter(
        number="REPM/CS/2028-29/0001",
        dated=dt.date(2028, 7, 18),
        verify_token="k" * 32,
        content={
            "number": "REPM/CS/2028-29/0001",
            "dated": "2028-07-18",
            "title": "Capital subsidy",
            "title_hi": "पूंजीगत सब्सिडी",
            "subject": "capital subsidy on eligible investment, first tranche",
            "claim_ref": "CS-1",
            "beneficiary": {
                "name": "NeoMag-Sakura Consortium",
                "firm": "NeoMag Industries Limited",
                "address": "Plot 14, Sector 5\nIMT Manesar, Haryana 122 051",
                "pan": "AAACN1234F",
            },
            "bank_account": {
                "holder": "NeoMag Industries Limited",
                "bank": "State Bank of India",
                "branch": "Manesar",
                "number": "30123456789",
                "ifsc": "SBIN0001234",
            },
            "award": {"tender": "REPM/T/2026/01", "label": "L1", "allocated_mtpa": 1200},
            "rule_set_version": 1,
            "rule_set_notification": "S.O. 1234(E)",
            "lines": [{"label": "Eligible investment", "value": "Rs 75,00,00,000.00", "note": ""}],
            "amount_inr": "Rs 18,75,00,000.00",
            "amount_crore": "Rs 18.75 crore",
            "amount_words": "Rupees eighteen crore seventy-five lakh only",
            "deducted": "0.00",
            "pool_label": "Capital subsidy",
            "signatory": {"name": "R. Sharma", "designation": "Director (Auto)"},
        },
    )
    pdf = render_pdf("incentives/pdf/sanction_letter.html", sanctions.letter_context(letter))
    hindi = ["स्वीकृति पत्र — पूंजीगत सब्सिडी", "विषय", "गणना", "स्वीकृत राशि", "शब्दों में"]
    hindi += ["बैंक खाता", "शर्तें", "भवदीय"]
    return Document(
        "sanction letter",
        pdf,
        "Sanction letter REPM/CS/2028-29/0001",
        [*LETTERHEAD_HI, *hindi],
        ["18 Jul 2028"],
    )


def bid_receipt() -> Document:
    receipt = {
        "receipt_number": "REPM/BR/2026/0007",
        "tender": {"reference": "REPM/T/2026/01", "title": "Sintered NdFeB magnets"},
        "bidder": "NeoMag Industries Limited",
        "bid": 7,
        "version": 1,
        "submitted_by": "anita",
        "bid_capacity_mtpa": 1200,
        "accepts_partial": True,
        "documents": [{"kind": "DPR", "name": "dpr.pdf", "sha256": "ab" * 32}],
        "technical_digest": "cd" * 32,
        "financial_digest": "ef" * 32,
        "commitment": "01" * 32,
        "scheme": "Scheme to Promote Manufacturing of Sintered Rare Earth Permanent Magnets",
        "verify_at": "/bids/receipts/verify/abc",
    }
    version = SimpleNamespace(submitted_at=dt.datetime(2026, 6, 2, 16, 4, 5, tzinfo=IST))
    pdf = render_pdf(
        "bidding/pdf/receipt.html",
        {"r": receipt, "version": version, "site_url": "https://repm.example"},
    )
    return Document(
        "bid receipt",
        pdf,
        "Bid receipt REPM/BR/2026/0007",
        [*LETTERHEAD_HI, "बोली प्राप्ति रसीद"],
        ["2 Jun 2026"],
    )


def monitor_summary() -> Document:
    year = SimpleNamespace(label="2028-29")
    m = {
        "as_of": dt.date(2028, 7, 18),
        "rule_set": {"version": 1},
        "capacity": {"target_mtpa": 6000, "awarded": 4200, "under_construction": 3000},
        "service": {"verification_days": 30, "payment_days": 15},
        "guarantees": [],
    }
    pdf = render_pdf(
        "monitor/pdf/summary.html",
        {
            "m": m,
            "year": year,
            "produced_at": dt.datetime(2028, 7, 18, 9, 30, tzinfo=IST),
            "produced_by": SimpleNamespace(username="official"),
        },
    )
    return Document(
        "monitor summary",
        pdf,
        "Scheme monitor: summary of 2028-29",
        [*LETTERHEAD_HI, "योजना की स्थिति"],
        ["18 Jul 2028"],
    )


def demo_document() -> Document:
    pdf = render_pdf(
        "bidding/pdf/demo_document.html",
        {
            "title": "Detailed project report",
            "title_hi": "विस्तृत परियोजना रिपोर्ट",
            "owner": "NeoMag Industries Limited",
            "paragraphs": ["An integrated plant from oxide to sintered magnet."],
        },
    )
    return Document(
        "demo bid document",
        pdf,
        "Detailed project report",
        [*LETTERHEAD_HI, "विस्तृत परियोजना रिपोर्ट"],
    )


def ca_certificate() -> Document:
    pdf = render_pdf(
        "capital/pdf/ca_certificate.html",
        {
            "ca_firm": "Iyer Bhatt & Associates",
            "frn": "012345S",
            "partner": "CA Meenakshi Iyer",
            "membership": "204518",
            "udin": "29204518BK000001",
            "place": "Bengaluru",
            "dated": dt.date(2028, 7, 18),
            "firm": "NeoMag Industries Limited",
            "heads": [("Plant and machinery", "Rs 50,00,00,000.00")],
            "total": "Rs 50,00,00,000.00",
        },
    )
    return Document(
        "CA certificate", pdf, "Certificate of eligible investment", [], ["18 Jul 2028"]
    )


def field_note() -> Document:
    pdf = render_pdf(
        "sampling/pdf/field_note.html",
        {"sample": "Sample 1", "claim": "SLI 4", "visited": dt.date(2031, 7, 14), "text": "Fine."},
    )
    return Document("field note", pdf, "Field check note", [], ["14 Jul 2031"])


def milestone_evidence() -> Document:
    from incentives.gestation.demo import _pdf

    title = "Commissioning certificate issued by the chartered engineer"
    return Document("milestone evidence", _pdf(title, ["NeoMag Industries Limited"]), title)


def bank_letter() -> Document:
    title = "State Bank of India: account confirmation"
    pdf = evidence_pdf(title, ["State Bank of India confirms account 30123456789."])
    return Document("bank letter", pdf, title)


ALL = [
    award_letter, sanction_letter, bid_receipt, monitor_summary, demo_document, ca_certificate,
    field_note, milestone_evidence, bank_letter,
]  # fmt: skip
