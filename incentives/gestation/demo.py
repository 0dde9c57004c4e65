"""Demo of gestation, replayed in the past through the services (each given its own `now`).

Every award of the main tender gets its plant and walks its five milestones: the firm reports with
evidence, the verifier verifies, the approver accepts. NeoMag-Sakura commissions early (May 2028),
Deccan late (October 2028, so its delay penalty is posted), the others around the end of
gestation; one of Deccan's milestones is returned once for a better document. Idempotent: each
milestone is taken on from wherever it stands.
"""

from __future__ import annotations

import datetime as dt
import struct
import zlib
from zoneinfo import ZoneInfo

from django.core.files.base import ContentFile
from django.utils import timezone

from beneficiaries.models import User
from bidding.models import Award
from incentives.gestation import selectors, services
from incentives.gestation.models import Milestone, Plant
from repm_portal.demo_clock import DEMO_AS_OF
from repm_portal.fiscal import add_months
from repm_portal.money import format_inr
from repm_portal.templatetags.repm_dates import format_date

IST = ZoneInfo("Asia/Kolkata")
MAIN_REFERENCE = "MHI/REPM/GTE/2026/01"

# Per winner (by its first user's username): the site, and when each milestone was reached, in
# days after the award (land, building, equipment, trial) and the commissioning date itself.
SITES = {
    "neomag": ("Sri City, Tirupati district", "Andhra Pradesh"),
    "bharatre": ("Dahej PCPIR, Bharuch", "Gujarat"),
    "deccan": ("Zaheerabad NIMZ, Sangareddy", "Telangana"),
    "kaveri": ("Tumakuru Machine Tools Park", "Karnataka"),
    "vidarbha": ("Butibori MIDC, Nagpur", "Maharashtra"),
}
# Months after the award for land, building, equipment and trial; commissioning in days
# relative to the end of gestation (negative: early).
SCHEDULE = {
    "neomag": ((2, 8, 13, 18), -70),
    "bharatre": ((3, 12, 18, 22), -9),
    "kaveri": ((3, 11, 17, 22), -3),
    "vidarbha": ((4, 12, 19, 23), 0),
    "deccan": ((4, 14, 21, 25), 76),
}
EVIDENCE = {
    "land": "Registered lease deed and allotment letter for the plant site",
    "building": "Building completion certificate from the industrial development authority",
    "equipment": "Installation report of the strip casting, jet milling, pressing and sintering lines",
    "trial": "Trial production report: first sintered NdFeB batches, magnetic properties tested",
    "commissioning": "Commissioning certificate issued by the chartered engineer",
}
CAPACITY = {"neomag": 1200, "bharatre": 1000, "deccan": 800, "kaveri": 1150, "vidarbha": 1100}


def _pdf(title: str, lines: list[str]) -> bytes:
    """A one-page evidence document: rendered (a title, embedded fonts, tagged), like every PDF the
    portal makes, so the demo's uploads read back in a screen reader as well."""
    from repm_portal.pdf import evidence_pdf

    return evidence_pdf(title, lines)


def _png(width: int = 96, height: int = 64, rgb: tuple[int, int, int] = (90, 110, 130)) -> bytes:
    """A small solid-colour PNG (a stand-in for a site photograph)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    raw = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def _at(day: dt.date, hour: int = 11) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=IST)


def _files(milestone: Milestone, firm_name: str, reached: dt.date, attempt: int) -> list:
    slug = milestone.kind
    files = [
        ContentFile(
            _pdf(
                EVIDENCE[milestone.kind],
                [firm_name, f"Milestone: {milestone.get_kind_display()}",
                 f"Reached on {format_date(reached)}", f"Document version {attempt}"],
            ),
            name=f"{slug}-evidence{'-revised' if attempt > 1 else ''}.pdf",
        )
    ]  # fmt: skip
    if milestone.kind in ("building", "equipment"):
        files.append(ContentFile(_png(), name=f"{slug}-site-photo.png"))
    return files


def _walk(milestone: Milestone, *, firm_user, reached, mtpa, return_once: bool) -> None:
    verifier, approver = (
        User.objects.get(username="verifier"),
        User.objects.get(username="approver"),
    )
    firm_name = milestone.plant.award.bid.bidder_name
    reported = _at(reached + dt.timedelta(days=3))
    if milestone.status == Milestone.Status.PLANNED:
        services.submit_milestone(
            actor=firm_user, milestone=milestone, actual_on=reached,
            remarks=f"{milestone.get_kind_display()} reached on {reached:%d %b %Y}.",
            files=_files(milestone, firm_name, reached, 1), commissioned_mtpa=mtpa, now=reported,
        )  # fmt: skip
        milestone.refresh_from_db()
    if milestone.status == Milestone.Status.SUBMITTED and return_once:
        services.return_milestone(
            actor=verifier, milestone=milestone,
            reason="The installation report is unsigned; attach the signed report with the OEM's sign-off.",
            now=reported + dt.timedelta(days=5),
        )  # fmt: skip
        milestone.refresh_from_db()
    if milestone.status == Milestone.Status.RETURNED:
        services.submit_milestone(
            actor=firm_user, milestone=milestone, actual_on=reached,
            remarks="Signed installation report attached.",
            files=_files(milestone, firm_name, reached, 2), commissioned_mtpa=mtpa,
            now=reported + dt.timedelta(days=9),
        )  # fmt: skip
        milestone.refresh_from_db()
    checked = reported + dt.timedelta(days=12 if return_once else 7)
    if milestone.status == Milestone.Status.SUBMITTED:
        services.verify_milestone(
            actor=verifier, milestone=milestone, remarks="Evidence examined; consistent with the DPR.",
            now=checked,
        )  # fmt: skip
        milestone.refresh_from_db()
    if milestone.status == Milestone.Status.VERIFIED:
        services.accept_milestone(
            actor=approver, milestone=milestone, now=checked + dt.timedelta(days=4)
        )


def _plant_for(award: Award, username: str) -> Plant:
    plant = Plant.objects.filter(award=award).first()
    if plant is not None:
        return plant
    site, state = SITES[username]
    return services.open_gestation(
        actor=User.objects.get(username="official"),
        award=award,
        name=f"{award.bid.bidder_name}: integrated NdFeB magnet plant",
        site_address=site,
        state=state,
        now=award.awarded_at + dt.timedelta(days=25),
    )


def seed() -> list[str]:
    awards = list(
        Award.objects.filter(tender__reference=MAIN_REFERENCE)
        .select_related("bid__firm", "bid__consortium", "rule_set")
        .order_by("rank")
    )
    if not awards:
        return ["No awards of the main tender: nothing to seed."]
    lines = []
    for award in awards:
        firm_user = award.bid.firm.users.order_by("pk").first()
        username = firm_user.username
        if username not in SCHEDULE:
            continue
        plant = _plant_for(award, username)
        months, commissioning_offset = SCHEDULE[username]
        awarded_on = plant.gestation_starts_on
        reached = [add_months(awarded_on, m) for m in months]
        reached.append(plant.gestation_ends_on + dt.timedelta(days=commissioning_offset))
        for milestone, day in zip(plant.milestones.order_by("sequence"), reached, strict=True):
            if milestone.status == Milestone.Status.ACCEPTED:
                continue
            commissioning = milestone.kind == Milestone.Kind.COMMISSIONING
            _walk(
                milestone,
                firm_user=firm_user,
                reached=day,
                mtpa=min(CAPACITY[username], award.allocated_mtpa) if commissioning else None,
                return_once=username == "deccan" and milestone.kind == Milestone.Kind.EQUIPMENT,
            )
        plant.refresh_from_db()
        penalty = selectors.delay_penalty(plant, now=DEMO_AS_OF)
        lines.append(
            f"{award.label} {award.bid.bidder_name}: gestation to {plant.gestation_ends_on:%d %b %Y}, "
            f"commissioned {plant.commissioned_on:%d %b %Y} ({plant.commissioned_mtpa} MTPA)"
            + (
                f", {penalty.days} days late: penalty {format_inr(penalty.amount)}"
                if penalty.days
                else ""
            )
        )
    lines.append(f"Timeline /gestation/ (as of {timezone.localtime(DEMO_AS_OF):%d %b %Y})")
    return lines
