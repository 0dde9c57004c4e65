"""Every write of gestation: open an award's plant, and walk each milestone firm -> verifier -> approver.

Milestones are reported in any order the work happens, but accepted in sequence: a milestone is
accepted only once every earlier one is, so the commissioning acceptance (which sets the
commissioning date and posts the delay penalty) comes last. Dates must run in sequence too.
Every function takes `now` (default: the clock) so the demo can replay gestation in the past.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from beneficiaries.models import User
from bidding.models import Award
from incentives import ledger
from incentives.gestation import engine, selectors
from incentives.gestation.models import Milestone, MilestoneEvidence, Plant
from repm_portal import audit, clock
from repm_portal.money import format_indian_number, format_inr
from repm_portal.pipeline import transition
from repm_portal.roles import Role, has_role, require_role
from repm_portal.text import clean_reason
from repm_portal.uploads import JPEG, MB, PDF, PNG, checked_upload

logger = logging.getLogger(__name__)

GESTATION_OPENERS = (Role.OFFICIAL, Role.ADMIN)
EVIDENCE_TYPES = (PDF, PNG, JPEG)
EVIDENCE_MAX_BYTES = 10 * MB
EVIDENCE_MAX_FILES = 10
# The names a file of each type may carry: a PNG called "report.pdf" is refused as well.
EVIDENCE_EXTENSIONS = {PDF: {".pdf"}, PNG: {".png"}, JPEG: {".jpg", ".jpeg"}}

MILESTONE_PIPELINE: dict[str, set[str]] = {
    Milestone.Status.PLANNED: {Milestone.Status.SUBMITTED},
    Milestone.Status.SUBMITTED: {Milestone.Status.VERIFIED, Milestone.Status.RETURNED},
    Milestone.Status.VERIFIED: {Milestone.Status.ACCEPTED, Milestone.Status.RETURNED},
    Milestone.Status.RETURNED: {Milestone.Status.SUBMITTED},
    Milestone.Status.ACCEPTED: set(),
}
SEQUENCE = [kind for kind, _share in engine.DEFAULT_PLAN]


def _add_error(errors: dict[str, list[str]], field: str, message: str) -> None:
    errors.setdefault(field, []).append(message)


def _lock(milestone: Milestone | int) -> tuple[Plant, Milestone]:
    """Lock the plant, then the milestone: always in that order."""
    pk = milestone.pk if isinstance(milestone, Milestone) else milestone
    plant_id = Milestone.objects.values_list("plant_id", flat=True).get(pk=pk)
    plant = (
        Plant.objects.select_for_update(of=("self",))
        .select_related("award__bid", "award__rule_set", "award__tender")
        .get(pk=plant_id)
    )
    locked = Milestone.objects.select_for_update().get(pk=pk)
    locked.plant = plant
    return plant, locked


def _move(
    milestone: Milestone, to: str, *, actor: User, now: dt.datetime,
    extra: dict[str, Any] | None = None, reason: str = "",
) -> None:  # fmt: skip
    transition(
        milestone, to, pipeline=MILESTONE_PIPELINE, actor=actor, now=now,
        label=f"The {milestone.get_kind_display().lower()} milestone", extra=extra, reason=reason,
    )  # fmt: skip


# Opening gestation


def _open(
    *, actor: User | None, award: Award, now: dt.datetime, name: str, site_address: str,
    state: str,
) -> Plant:  # fmt: skip
    award = (
        Award.objects.select_for_update().select_related("bid__firm", "rule_set").get(pk=award.pk)
    )
    if Plant.objects.filter(award=award).exists():
        raise ValidationError(_("Gestation is already open for this award."))
    starts = timezone.localdate(award.awarded_at)
    months = award.rule_set.gestation_months
    plant = Plant.objects.create(
        award=award,
        name=name.strip() or f"{award.bid.bidder_name}: integrated magnet plant",
        site_address=site_address.strip(),
        state=state.strip(),
        gestation_starts_on=starts,
        gestation_ends_on=engine.gestation_end(starts, months),
        created_at=now,
    )
    Milestone.objects.bulk_create(
        Milestone(plant=plant, kind=kind, sequence=n, planned_on=planned_on)
        for n, (kind, planned_on) in enumerate(engine.planned_dates(starts, months), start=1)
    )
    audit.record(
        actor=actor,
        action="plant.opened",
        obj=plant,
        new={
            **audit.snapshot(
                plant, ["award_id", "name", "gestation_starts_on", "gestation_ends_on"]
            ),
            "gestation_months": months,
            "rule_set": award.rule_set.version,
            "milestones": {m.kind: m.planned_on for m in plant.milestones.order_by("sequence")},
        },
    )
    return plant


@transaction.atomic
def open_gestation(
    *,
    actor: User,
    award: Award,
    name: str = "",
    site_address: str = "",
    state: str = "",
    now: dt.datetime | None = None,
) -> Plant:
    """Open an award's gestation: its plant, ending the rule set's months after the award date, and
    the five milestones planned across it."""
    require_role(actor, *GESTATION_OPENERS, action="open an award's gestation")
    return _open(
        actor=actor,
        award=award,
        now=clock.now(now),
        name=name,
        site_address=site_address,
        state=state,
    )


def open_missing_gestations(*, now: dt.datetime | None = None) -> list[Plant]:
    """The daily sweep: every award without a plant gets one (recorded as the system's doing)."""
    opened: list[Plant] = []
    for award in selectors.awards_without_plant()[:200]:
        try:
            with transaction.atomic():
                opened.append(
                    _open(
                        actor=None,
                        award=award,
                        now=clock.now(now),
                        name="",
                        site_address="",
                        state="",
                    )
                )
        except (ValidationError, IntegrityError):
            continue  # opened meanwhile by an official or a concurrent sweep
    return opened


# Evidence


@dataclass(frozen=True)
class _CheckedEvidence:
    """An evidence file whose type, size and digest have been checked."""

    upload: UploadedFile
    original_name: str
    content_type: str
    size: int
    sha256: str


def _check_evidence(
    files: Sequence[UploadedFile], errors: dict[str, list[str]]
) -> list[_CheckedEvidence]:
    checked: list[_CheckedEvidence] = []
    if len(files) > EVIDENCE_MAX_FILES:
        _add_error(
            errors, "files", _("Attach at most %(n)s files at a time.") % {"n": EVIDENCE_MAX_FILES}
        )
        return checked
    for upload in files:
        name = PurePath(getattr(upload, "name", "") or "evidence").name
        try:
            info = checked_upload(
                upload,
                allowed=EVIDENCE_TYPES,
                max_bytes=EVIDENCE_MAX_BYTES,
                what=f"evidence file {name}",
            )
        except ValidationError as exc:
            for message in exc.messages:
                _add_error(errors, "files", message)
            continue
        extension = PurePath(name).suffix.lower()
        if extension not in EVIDENCE_EXTENSIONS[info["content_type"]]:
            kind = info["content_type"].split("/")[1].upper()
            _add_error(
                errors,
                "files",
                (
                    _(
                        "The evidence file %(name)s is a %(kind)s file but is named %(extension)s; "
                        "rename it to %(right)s and attach it again."
                    )
                    if extension
                    else _(
                        "The evidence file %(name)s is a %(kind)s file but is named without an "
                        "extension; rename it to %(right)s and attach it again."
                    )
                )
                % {
                    "name": name,
                    "kind": kind,
                    "extension": extension,
                    "right": sorted(EVIDENCE_EXTENSIONS[info["content_type"]])[0],
                },
            )
            continue
        checked.append(
            _CheckedEvidence(
                upload=upload,
                original_name=info["original_name"],
                content_type=info["content_type"],
                size=info["size"],
                sha256=info["sha256"],
            )
        )
    return checked


def _store_evidence(
    milestone: Milestone, checked: list[_CheckedEvidence], *, actor: User, now: dt.datetime,
    stored: list[str],
) -> None:  # fmt: skip
    for item in checked:
        evidence = MilestoneEvidence(
            milestone=milestone,
            original_name=item.original_name[:255],
            content_type=item.content_type,
            size=item.size,
            sha256=item.sha256,
            uploaded_by=actor,
            uploaded_at=now,
        )
        evidence.file.save(item.original_name, item.upload, save=False)
        stored.append(evidence.file.name)
        evidence.save(force_insert=True)
        audit.record(
            actor=actor,
            action="milestoneevidence.uploaded",
            obj=evidence,
            new=audit.snapshot(
                evidence, ["milestone_id", "original_name", "content_type", "size", "sha256"]
            ),
        )


def _check_dates(
    plant: Plant, milestone: Milestone, actual_on: dt.date | None, today: dt.date,
    errors: dict[str, list[str]],
) -> None:  # fmt: skip
    if actual_on is None:
        _add_error(errors, "actual_on", _("Give the date the milestone was reached."))
        return
    if actual_on > today:
        _add_error(errors, "actual_on", _("The date cannot be in the future."))
    if actual_on < plant.gestation_starts_on:
        _add_error(
            errors,
            "actual_on",
            _("The date cannot be before the award (%(date)s).")
            % {"date": f"{plant.gestation_starts_on:%d %b %Y}"},
        )
    for other in plant.milestones.exclude(pk=milestone.pk).exclude(actual_on=None):
        if other.status == Milestone.Status.PLANNED or other.actual_on is None:
            continue
        if other.sequence < milestone.sequence and other.actual_on > actual_on:
            _add_error(errors, "actual_on", _("The %(kind)s milestone was reached on %(date)s; this one "
                       "comes after it.") % {"kind": _(other.get_kind_display()).lower(), "date": f"{other.actual_on:%d %b %Y}"})  # fmt: skip
        if other.sequence > milestone.sequence and other.actual_on < actual_on:
            _add_error(errors, "actual_on", _("The %(kind)s milestone was reached on %(date)s; this one "
                       "comes before it.") % {"kind": _(other.get_kind_display()).lower(), "date": f"{other.actual_on:%d %b %Y}"})  # fmt: skip


def submit_milestone(
    *,
    actor: User,
    milestone: Milestone,
    actual_on: dt.date | None,
    remarks: str = "",
    files: Sequence[UploadedFile] = (),
    commissioned_mtpa: int | None = None,
    now: dt.datetime | None = None,
) -> Milestone:
    """The firm reports a milestone reached, with its date and evidence; nothing is stored if any
    file or figure is refused."""
    require_role(actor, Role.FIRM_USER, action="report a milestone")
    stored: list[str] = []
    try:
        with transaction.atomic():
            return _submit(
                actor=actor, milestone=milestone, actual_on=actual_on, remarks=remarks,
                files=files, commissioned_mtpa=commissioned_mtpa, now=now, stored=stored,
            )  # fmt: skip
    except BaseException:
        from django.core.files.storage import default_storage

        for name in stored:  # the rows rolled back; their files must not stay behind
            default_storage.delete(name)
        raise


def _submit(
    *, actor: User, milestone: Milestone, actual_on: dt.date | None, remarks: str,
    files: Sequence[UploadedFile], commissioned_mtpa: int | None, now: dt.datetime | None,
    stored: list[str],
) -> Milestone:  # fmt: skip
    plant, milestone = _lock(milestone)
    if actor.firm_id != plant.award.bid.firm_id:
        raise PermissionDenied(_("Only the winner's own people may report its milestones."))
    now = clock.now(now)
    if milestone.status not in (Milestone.Status.PLANNED, Milestone.Status.RETURNED):
        raise ValidationError(
            _("The %(kind)s milestone is %(status)s; it cannot be reported again now.")
            % {
                "kind": _(milestone.get_kind_display()).lower(),
                "status": _(milestone.get_status_display()).lower(),
            }
        )
    errors: dict[str, list[str]] = {}
    _check_dates(plant, milestone, actual_on, timezone.localdate(now), errors)
    if milestone.kind == Milestone.Kind.COMMISSIONING:
        allocated = plant.award.allocated_mtpa
        if commissioned_mtpa is None:
            _add_error(
                errors,
                "commissioned_mtpa",
                _("Give the capacity the commissioning certificate states."),
            )
        elif not 0 < commissioned_mtpa <= allocated:
            _add_error(errors, "commissioned_mtpa", _("The commissioned capacity must be more than 0 and at most "
                       "the %(mtpa)s MTPA awarded.") % {"mtpa": format_indian_number(allocated)})  # fmt: skip
    elif commissioned_mtpa is not None:
        _add_error(
            errors, "commissioned_mtpa", _("Only the commissioning milestone carries a capacity.")
        )
    checked = _check_evidence(list(files), errors)
    if not checked and not milestone.evidence.exists() and "files" not in errors:
        _add_error(errors, "files", _("Attach at least one evidence file (PDF, PNG or JPEG)."))
    if errors:
        raise ValidationError(errors)
    _store_evidence(milestone, checked, actor=actor, now=now, stored=stored)
    _move(milestone, Milestone.Status.SUBMITTED, actor=actor, now=now, extra={
        "actual_on": actual_on, "firm_remarks": remarks.strip(), "commissioned_mtpa": commissioned_mtpa,
        "submitted_at": now, "submitted_by_id": actor.pk,
        "verified_at": None, "verified_by_id": None, "verification_remarks": "",
    })  # fmt: skip
    return milestone


# Verification and acceptance


@transaction.atomic
def verify_milestone(
    *, actor: User, milestone: Milestone, remarks: str = "", now: dt.datetime | None = None
) -> Milestone:
    """The verifier (project management agency) confirms the evidence supports the milestone."""
    require_role(actor, Role.VERIFIER, action="verify a milestone")
    _plant, milestone = _lock(milestone)
    now = clock.now(now)
    _move(milestone, Milestone.Status.VERIFIED, actor=actor, now=now, extra={
        "verified_at": now, "verified_by_id": actor.pk, "verification_remarks": remarks.strip(),
    })  # fmt: skip
    return milestone


@transaction.atomic
def return_milestone(
    *, actor: User, milestone: Milestone, reason: str, now: dt.datetime | None = None
) -> Milestone:
    """Send a milestone back to the firm with reasons: the verifier before verifying, the approver after."""
    require_role(actor, Role.VERIFIER, Role.APPROVER, action="return a milestone")
    _plant, milestone = _lock(milestone)
    now = clock.now(now)
    if milestone.status == Milestone.Status.SUBMITTED and not has_role(actor, Role.VERIFIER):
        raise PermissionDenied(_("A submitted milestone is returned by the verifier."))
    if milestone.status == Milestone.Status.VERIFIED and not has_role(actor, Role.APPROVER):
        raise PermissionDenied(_("A verified milestone is returned by the approver."))
    reason = clean_reason(reason, what="reason the milestone is returned")
    _move(milestone, Milestone.Status.RETURNED, actor=actor, now=now, reason=reason,
          extra={"verification_remarks": reason})  # fmt: skip
    return milestone


@transaction.atomic
def accept_milestone(
    *, actor: User, milestone: Milestone, now: dt.datetime | None = None
) -> Milestone:
    """The approver accepts a verified milestone (never the person who verified it). Accepting the
    commissioning milestone records the commissioning and posts any delay penalty."""
    require_role(actor, Role.APPROVER, action="accept a milestone")
    plant, milestone = _lock(milestone)
    now = clock.now(now)
    if milestone.verified_by_id == actor.pk:
        raise PermissionDenied(_("The person who verified a milestone cannot also accept it."))
    waiting = [
        _(m.get_kind_display()).lower()
        for m in plant.milestones.filter(sequence__lt=milestone.sequence).exclude(
            status=Milestone.Status.ACCEPTED
        )
    ]
    if waiting and milestone.status == Milestone.Status.VERIFIED:
        raise ValidationError(
            _(
                "Accept the earlier milestones first (%(waiting)s): milestones are accepted in order."
            )
            % {"waiting": ", ".join(waiting)}
        )
    _move(milestone, Milestone.Status.ACCEPTED, actor=actor, now=now,
          extra={"accepted_at": now, "accepted_by_id": actor.pk})  # fmt: skip
    if milestone.kind == Milestone.Kind.COMMISSIONING:
        _commission(plant, milestone, actor=actor, now=now)
    return milestone


def _commission(plant: Plant, milestone: Milestone, *, actor: User, now: dt.datetime) -> None:
    plant.commissioned_on = milestone.actual_on
    plant.commissioned_mtpa = milestone.commissioned_mtpa
    plant.save(update_fields=["commissioned_on", "commissioned_mtpa"])
    award = plant.award
    penalty = selectors.delay_penalty(plant, now=now)
    basis = selectors.pbg_basis(award)
    audit.record(
        actor=actor,
        action="plant.commissioned",
        obj=plant,
        old={"commissioned_on": None, "commissioned_mtpa": None},
        new={
            "commissioned_on": plant.commissioned_on,
            "commissioned_mtpa": plant.commissioned_mtpa,
            "milestone_id": milestone.pk,
            "gestation_ends_on": plant.gestation_ends_on,
            "delay_days": penalty.days,
            "delay_penalty": penalty.amount,
            "pbg_amount": penalty.pbg_amount,
            "pct_per_day": penalty.pct_per_day,
            "rule_set": award.rule_set.version,
        },
    )
    if penalty.amount <= 0:
        return
    ledger.post(
        kind="penalty",
        pool="sli",
        award=award,
        amount=penalty.amount,
        source_key=f"gestation:delay-penalty:{award.pk}",
        rule_set=award.rule_set,
        document_ref=f"Acceptance of commissioning milestone {milestone.pk}",
        narration=penalty_narration(penalty, basis.source),
        actor=actor,
        now=now,
        claim_type="gestation",
        claim_id=str(plant.pk),
    )


def penalty_narration(penalty: engine.DelayPenalty, basis: str) -> str:
    return (
        f"Delay penalty: {format_indian_number(penalty.days)} days x {penalty.pct_per_day.normalize():f} % "
        f"of PBG {format_inr(penalty.pbg_amount)} ({basis}) per day = {format_inr(penalty.amount)}; "
        f"gestation ended {penalty.gestation_ends_on:%d %b %Y}, commissioned {penalty.until:%d %b %Y} "
        f"(days counted from {penalty.first_day:%d %b %Y} to the commissioning date, both included)."
    )


__all__ = [
    "EVIDENCE_MAX_BYTES",
    "EVIDENCE_TYPES",
    "MILESTONE_PIPELINE",
    "accept_milestone",
    "open_gestation",
    "open_missing_gestations",
    "penalty_narration",
    "return_milestone",
    "submit_milestone",
    "verify_milestone",
]
