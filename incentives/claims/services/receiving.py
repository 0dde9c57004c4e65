"""Receiving a firm's sales file for a claim period, and re-running a check that failed or went silent."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import PurePath

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import File
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from beneficiaries.models import User
from bidding.models import Award
from incentives.claims import selectors
from incentives.claims.models import Claim, ClaimUpload
from incentives.claims.selectors import PeriodRow
from incentives.claims.services.lifecycle import TASK, is_stalled, may_rerun, move
from incentives.claims.services.limits import MiB, max_upload_bytes
from incentives.ingest.reading import FileRejected, sniff
from repm_portal import audit, clock, jobs
from repm_portal.roles import AnyUser, Role, require_role

Status = ClaimUpload.Status


@dataclass(frozen=True)
class Received:
    upload: ClaimUpload
    recognised: bool  # the same bytes were uploaded before: nothing new was created


def require_beneficiary(actor: User, award: Award, action: str) -> None:
    require_role(actor, Role.FIRM_USER, action=action)
    if not selectors.is_beneficiary(actor, award):
        raise PermissionDenied("Only the award's own firm may " + action + ".")


def _open_period(award: Award, period_start: dt.date, *, now: dt.datetime) -> PeriodRow:
    row = next(
        (r for r in selectors.period_rows(award, now=now) if r.period.starts_on == period_start),
        None,
    )
    if row is None:
        plant = selectors.plant_of(award)
        if plant is None or plant.commissioned_on is None:
            raise ValidationError(
                gettext(
                    "%(award)s has no commissioned plant yet: sales claims start at commissioning."
                )
                % {"award": award}
            )
        raise ValidationError(
            gettext("%(start)s does not start a claim period of %(award)s.")
            % {"start": f"{period_start:%d %b %Y}", "award": award}
        )
    period = row.period
    if row.claim is not None and row.claim.status == Claim.Status.RETURNED:
        return row  # returned for correction: the firm uploads again, whatever the window
    if row.state == "running":
        raise ValidationError(
            gettext(
                "The claim period %(period)s runs to %(end)s; its sales may be uploaded from the "
                "day after, until %(closes)s."
            )
            % {
                "period": period.label,
                "end": f"{period.ends_on:%d %b %Y}",
                "closes": f"{row.window_closes_on:%d %b %Y}",
            }
        )
    if row.state == "closed":
        raise ValidationError(
            gettext(
                "The window for %(period)s closed on %(closed)s (%(days)s days after the period "
                "ended)."
            )
            % {
                "period": period.label,
                "closed": f"{row.window_closes_on:%d %b %Y}",
                "days": row.rule_set.claim_window_days,
            }
        )
    if row.claim is not None and row.claim.status not in Claim.OPEN_FOR_UPLOAD:
        raise ValidationError(
            gettext("The claim for %(period)s is %(status)s; its lines can no longer be replaced.")
            % {"period": period.label, "status": gettext(row.claim.get_status_display()).lower()}
        )
    return row


def _sha256(upload: File) -> str:
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


@transaction.atomic
def receive_upload(
    *,
    actor: User,
    award: Award,
    period_start: dt.date,
    upload: File | None,
    now: dt.datetime | None = None,
    enqueue: bool = True,
) -> Received:
    """Keep a firm's file for a claim period and queue its check; the same bytes twice are recognised.

    Cheap checks happen here so the firm hears at once (who, which period, window, size,
    type by content); reading and checking every line happens in the worker. With
    `enqueue`, the check's job is written here and sent once this commits.
    """
    now = clock.now(now)
    require_beneficiary(actor, award, "upload its sales claims")
    row = _open_period(award, period_start, now=now)
    if upload is None:
        raise ValidationError(gettext("Attach the sales file (.csv or .xlsx)."))
    name = PurePath(getattr(upload, "name", "") or "sales.csv").name[:255]
    limit = max_upload_bytes()
    size = upload.size or 0
    if size > limit:
        raise ValidationError(
            gettext("'%(name)s' is %(size)s MB; the limit for one upload is %(limit)s MB.")
            % {"name": name, "size": f"{size / MiB:,.1f}", "limit": f"{limit / MiB:,.0f}"}
        )
    upload.seek(0)
    head = upload.read(4096)
    try:
        sniff(head, name)
    except FileRejected as rejected:
        raise ValidationError(rejected.message) from None
    sha256 = _sha256(upload)

    same = (
        ClaimUpload.objects.filter(award=award, period_start=period_start, sha256=sha256)
        .exclude(status__in=[Status.SUPERSEDED, Status.FAILED])
        .order_by("-uploaded_at")
        .first()
    )
    if same is not None:
        return Received(same, recognised=True)
    busy = ClaimUpload.objects.filter(
        award=award, period_start=period_start, status=Status.RECEIVED
    ).first()
    if busy is not None:
        raise ValidationError(
            gettext(
                "'%(name)s' (uploaded %(when)s) is still being checked for %(period)s; wait for it "
                "to finish."
            )
            % {
                "name": busy.original_name,
                "when": f"{timezone.localtime(busy.uploaded_at):%d %b %Y %H:%M}",
                "period": row.period.label,
            }
        )

    record = ClaimUpload(
        award=award,
        period_start=period_start,
        original_name=name,
        size=size,
        sha256=sha256,
        uploaded_by=actor,
        uploaded_at=now,
    )
    suffix = PurePath(name).suffix.lower()
    record.file.save(f"{now:%Y%m%d-%H%M%S}-{sha256[:16]}{suffix}", File(upload), save=False)
    try:
        with transaction.atomic():
            record.save()
    except IntegrityError:
        raise ValidationError(
            gettext(
                "Another file for %(period)s arrived at the same moment; refresh the page to see it."
            )
            % {"period": row.period.label}
        ) from None
    audit.record(
        actor=actor,
        action="claim_upload.received",
        obj=record,
        new={
            "award": award.pk,
            "period": row.period.label,
            "file": name,
            "size": size,
            "sha256": sha256,
            "at": now,
        },
    )
    if enqueue:
        jobs.enqueue_on_commit(TASK, record.pk)
    return Received(record, recognised=False)


def can_rerun(user: AnyUser, upload: ClaimUpload, *, now: dt.datetime | None = None) -> bool:
    return may_rerun(upload, now=clock.now(now)) and selectors.is_beneficiary(user, upload.award)


@transaction.atomic
def rerun_upload(
    *, actor: User, upload: ClaimUpload, now: dt.datetime | None = None, enqueue: bool = True
) -> ClaimUpload:
    """Check again an upload whose check failed, or whose job went silent; with `enqueue`, its job restarts."""
    now = clock.now(now)
    require_beneficiary(actor, upload.award, "re-run the check of its upload")
    locked = ClaimUpload.objects.select_for_update().get(pk=upload.pk)
    if not may_rerun(locked, now=now):
        raise ValidationError(
            gettext("'%(name)s' is %(status)s; only a failed or stalled check can be re-run.")
            % {
                "name": locked.original_name,
                "status": gettext(locked.progress.status_label).lower(),
            }
        )
    if locked.status == Status.FAILED:
        try:
            with transaction.atomic():
                move(
                    locked, Status.RECEIVED, actor=actor, now=now, action="claim_upload.rerun",
                    extra={"message": "", "finished_at": None},
                )  # fmt: skip
        except IntegrityError:
            raise ValidationError(
                gettext(
                    "Another file for this claim period is being checked, or these bytes were "
                    "accepted since; '%(name)s' cannot be checked again."
                )
                % {"name": locked.original_name}
            ) from None
    else:  # still received: its job went silent; the lifecycle does not move
        audit.record(
            actor=actor,
            action="claim_upload.rerun",
            obj=locked,
            old={"status": locked.status},
            new={"status": locked.status, "at": now, "reason": "stalled"},
        )
    if enqueue:
        job = locked.job
        if job is None:
            jobs.enqueue_on_commit(TASK, locked.pk)
        elif job.state == job.State.FAILED or jobs.is_stalled(job, now=now):
            jobs.restart(TASK, locked.pk, now=now)
        for moved in ("job", "progress"):  # read again when next asked
            locked.__dict__.pop(moved, None)
    return locked


__all__ = ["Received", "can_rerun", "is_stalled", "receive_upload", "rerun_upload"]
