"""Every write of sales claims: receive an upload, check it, store it all or nothing, re-run it."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import time
import zlib
from dataclasses import dataclass
from decimal import Decimal
from pathlib import PurePath

import numpy as np
import pandas as pd
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile, File
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connection, connections, transaction
from django.db.models import F, Q
from django.utils import timezone

from bidding.models import Award
from incentives.claims import selectors, storing
from incentives.claims.models import Claim, ClaimUpload
from incentives.ingest import annotate
from incentives.ingest.reading import FILE_RULES, FileRejected, read_upload, sniff
from incentives.ingest.validate import (
    ERROR_RULES,
    ValidationContext,
    ValidationResult,
    totals,
    validate,
)
from repm_portal import audit
from repm_portal.roles import Role, require_role

logger = logging.getLogger(__name__)

MiB = 1024 * 1024
DEFAULT_MAX_UPLOAD_BYTES = 200 * MiB
DEFAULT_MAX_ROWS = 1_000_000
# An upload whose worker has not reported for this long is taken to have died.
STALL_AFTER = dt.timedelta(minutes=10)
# Progress is written at most this often (seconds), besides every change of phase.
_PROGRESS_EVERY = 0.5
# Test-only: seconds the storing transaction waits between COPY and commit, so a test can
# kill the worker there. Honoured only under the test settings.
PAUSE_ENV = "REPM_CLAIMS_TEST_PAUSE_BEFORE_COMMIT"


# Every code an upload's report can carry: the line rules, the whole-file ones, and two that
# arise while storing.
RULES: dict[str, str] = {
    **ERROR_RULES,
    **FILE_RULES,
    "period": "The upload's claim period no longer exists.",
    "claim_closed": "The claim was submitted while the file was being checked.",
}


def max_upload_bytes() -> int:
    """The size limit of one upload: settings.CLAIM_UPLOAD_MAX_BYTES, else REPM_CLAIM_UPLOAD_MAX_MB, else 200 MB."""
    configured = getattr(settings, "CLAIM_UPLOAD_MAX_BYTES", None)
    if configured:
        return int(configured)
    return int(os.environ.get("REPM_CLAIM_UPLOAD_MAX_MB", DEFAULT_MAX_UPLOAD_BYTES // MiB)) * MiB


def max_rows() -> int:
    """The line limit of one upload: settings.CLAIM_UPLOAD_MAX_ROWS, else REPM_CLAIM_UPLOAD_MAX_ROWS, else 1,000,000."""
    configured = getattr(settings, "CLAIM_UPLOAD_MAX_ROWS", None)
    if configured:
        return int(configured)
    return int(os.environ.get("REPM_CLAIM_UPLOAD_MAX_ROWS", DEFAULT_MAX_ROWS))


def _now(now: dt.datetime | None) -> dt.datetime:
    return now or timezone.now()


# --- receiving ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Received:
    upload: ClaimUpload
    recognised: bool  # the same bytes were uploaded before: nothing new was created


def _require_beneficiary(actor, award: Award, action: str) -> None:
    require_role(actor, Role.FIRM_USER, action=action)
    if not selectors.is_beneficiary(actor, award):
        raise PermissionDenied("Only the award's own firm may " + action + ".")


def _open_period(award: Award, period_start: dt.date, *, now: dt.datetime):
    row = next(
        (r for r in selectors.period_rows(award, now=now) if r.period.starts_on == period_start),
        None,
    )
    if row is None:
        plant = selectors.plant_of(award)
        if plant is None or plant.commissioned_on is None:
            raise ValidationError(
                f"{award} has no commissioned plant yet: sales claims start at commissioning."
            )
        raise ValidationError(f"{period_start:%d %b %Y} does not start a claim period of {award}.")
    period = row.period
    if row.state == "running":
        raise ValidationError(
            f"The claim period {period.label} runs to {period.ends_on:%d %b %Y}; its sales may "
            f"be uploaded from the day after, until {row.window_closes_on:%d %b %Y}."
        )
    if row.state == "closed":
        raise ValidationError(
            f"The window for {period.label} closed on {row.window_closes_on:%d %b %Y} "
            f"({row.rule_set.claim_window_days} days after the period ended)."
        )
    if row.claim is not None and row.claim.status != Claim.Status.DRAFT:
        raise ValidationError(
            f"The claim for {period.label} is {row.claim.get_status_display().lower()}; "
            "its lines can no longer be replaced."
        )
    return row


def _sha256(upload) -> str:
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


@transaction.atomic
def receive_upload(
    *,
    actor,
    award: Award,
    period_start: dt.date,
    upload,
    now: dt.datetime | None = None,
    enqueue: bool = True,
) -> Received:
    """Keep a firm's file for a claim period and queue it for checking; the same bytes twice are recognised.

    Cheap checks happen here so the firm hears at once (who, which period, window, size,
    type by content); reading and checking every line happens in the worker.
    """
    now = _now(now)
    _require_beneficiary(actor, award, "upload its sales claims")
    row = _open_period(award, period_start, now=now)
    if upload is None:
        raise ValidationError("Attach the sales file (.csv or .xlsx).")
    name = PurePath(getattr(upload, "name", "") or "sales.csv").name[:255]
    limit = max_upload_bytes()
    size = upload.size or 0
    if size > limit:
        raise ValidationError(
            f"'{name}' is {size / MiB:,.1f} MB; the limit for one upload is {limit / MiB:,.0f} MB."
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
        .exclude(status__in=[ClaimUpload.Status.SUPERSEDED, ClaimUpload.Status.FAILED])
        .order_by("-uploaded_at")
        .first()
    )
    if same is not None:
        return Received(same, recognised=True)
    busy = ClaimUpload.objects.filter(
        award=award, period_start=period_start, status__in=ClaimUpload.ACTIVE
    ).first()
    if busy is not None:
        raise ValidationError(
            f"'{busy.original_name}' (uploaded {timezone.localtime(busy.uploaded_at):%d %b %Y %H:%M}) "
            f"is still being checked for {row.period.label}; wait for it to finish."
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
            f"Another file for {row.period.label} arrived at the same moment; "
            "refresh the page to see it."
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
        _enqueue(record.pk)
    return Received(record, recognised=False)


def _enqueue(upload_id: int) -> None:
    def send() -> None:
        from incentives.claims import tasks

        try:
            # Ingestion may run on workers of its own: settings.CLAIMS_TASK_QUEUE names their queue.
            queue = getattr(settings, "CLAIMS_TASK_QUEUE", None)
            tasks.process_upload.apply_async(args=[upload_id], queue=queue)
        except Exception:  # the broker may be down; the upload waits, and can be re-run
            logger.exception("Could not queue the check of claim upload %s", upload_id)

    transaction.on_commit(send)


def is_stalled(upload: ClaimUpload, *, now: dt.datetime) -> bool:
    if upload.status == ClaimUpload.Status.QUEUED:
        return upload.uploaded_at < now - STALL_AFTER and (
            upload.heartbeat_at is None or upload.heartbeat_at < now - STALL_AFTER
        )
    if upload.status == ClaimUpload.Status.PROCESSING:
        return upload.heartbeat_at is None or upload.heartbeat_at < now - STALL_AFTER
    return False


def can_rerun(user, upload: ClaimUpload, *, now: dt.datetime | None = None) -> bool:
    now = _now(now)
    allowed = upload.status == ClaimUpload.Status.FAILED or is_stalled(upload, now=now)
    return allowed and selectors.is_beneficiary(user, upload.award)


@transaction.atomic
def rerun_upload(
    *, actor, upload: ClaimUpload, now: dt.datetime | None = None, enqueue: bool = True
) -> ClaimUpload:
    """Queue again an upload whose check failed, or whose worker died (no report for STALL_AFTER)."""
    now = _now(now)
    _require_beneficiary(actor, upload.award, "re-run the check of its upload")
    locked = ClaimUpload.objects.select_for_update().get(pk=upload.pk)
    if not (locked.status == ClaimUpload.Status.FAILED or is_stalled(locked, now=now)):
        raise ValidationError(
            f"'{locked.original_name}' is {locked.get_status_display().lower()}; only a failed "
            "or stalled check can be re-run."
        )
    old = locked.status
    ClaimUpload.objects.filter(pk=locked.pk).update(
        status=ClaimUpload.Status.QUEUED,
        phase=ClaimUpload.Phase.WAITING,
        percent=0,
        message="",
        heartbeat_at=now,
    )
    locked.refresh_from_db()
    audit.record(
        actor=actor,
        action="claim_upload.rerun",
        obj=locked,
        old={"status": old},
        new={"status": locked.status, "at": now},
    )
    if enqueue:
        _enqueue(locked.pk)
    return locked


def requeue_stalled_uploads(*, now: dt.datetime | None = None) -> int:
    """Queue again every upload whose worker went silent; the sweep for lost messages."""
    now = _now(now)
    requeued = 0
    candidates = ClaimUpload.objects.filter(status__in=ClaimUpload.ACTIVE).order_by("pk")
    for upload in candidates:
        if not is_stalled(upload, now=now):
            continue
        with transaction.atomic():
            moved = ClaimUpload.objects.filter(pk=upload.pk, status=upload.status).update(
                status=ClaimUpload.Status.QUEUED,
                phase=ClaimUpload.Phase.WAITING,
                percent=0,
                heartbeat_at=now,
            )
            if moved:
                audit.record(
                    actor=None,
                    action="claim_upload.requeued",
                    obj=upload,
                    old={"status": upload.status},
                    new={"status": ClaimUpload.Status.QUEUED, "at": now, "reason": "stalled"},
                )
                _enqueue(upload.pk)
                requeued += 1
    return requeued


# --- progress -------------------------------------------------------------------------------


class Progress:
    """Writes an upload's phase and percent in short transactions of their own, so a page sees them at once.

    Inside the long storing transaction the default connection cannot commit, so the
    reports go through a second connection of their own (autocommit).
    """

    def __init__(self, upload_id: int) -> None:
        self.upload_id = upload_id
        self._side = None
        self._phase = ""
        self._last = 0.0

    def __call__(self, phase: str, percent: int, *, force: bool = False) -> None:
        moment = time.monotonic()
        if not force and phase == self._phase and moment - self._last < _PROGRESS_EVERY:
            return
        self._phase, self._last = phase, moment
        values = [phase, max(0, min(100, int(percent))), timezone.now(), self.upload_id]
        statement = (
            "UPDATE claims_claimupload SET phase = %s, percent = %s, heartbeat_at = %s "
            "WHERE id = %s AND status = 'processing'"
        )
        if connection.in_atomic_block:
            if self._side is None:
                self._side = connections.create_connection(DEFAULT_DB_ALIAS)
            with self._side.cursor() as cursor:
                cursor.execute(statement, values)
        else:
            with connection.cursor() as cursor:
                cursor.execute(statement, values)

    def close(self) -> None:
        if self._side is not None:
            self._side.close()
            self._side = None


# --- checking and storing -------------------------------------------------------------------


class _Refused(Exception):
    """Raised inside the storing transaction to undo it and refuse the upload."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.rule = rule
        self.message = message


def _claim_for_work(upload_id: int, *, now: dt.datetime) -> bool:
    """Take the upload for this worker: queued, or processing but silent for STALL_AFTER."""
    claimable = ClaimUpload.objects.filter(pk=upload_id).filter(
        Q(status=ClaimUpload.Status.QUEUED)
        | Q(status=ClaimUpload.Status.PROCESSING, heartbeat_at__lt=now - STALL_AFTER)
    )
    return bool(
        claimable.update(
            status=ClaimUpload.Status.PROCESSING,
            phase=ClaimUpload.Phase.READING,
            percent=1,
            heartbeat_at=timezone.now(),
            started_at=now,
            attempts=F("attempts") + 1,
        )
    )


def process_upload(*, upload_id: int, now: dt.datetime | None = None) -> ClaimUpload | None:
    """Read, check and (if every line passes) store one upload; the Celery task calls this.

    Returns the upload, or None when another worker has it. A file with any error changes
    nothing but the upload's own report; an accepted file's lines are stored in one
    transaction, so a worker killed midway leaves no part of them.
    """
    now = _now(now)
    if not _claim_for_work(upload_id, now=now):
        return None
    upload = ClaimUpload.objects.select_related("award__bid__firm", "award__rule_set").get(
        pk=upload_id
    )
    progress = Progress(upload_id)
    try:
        return _process(upload, progress, now=now)
    except Exception as error:
        logger.exception("Claim upload %s could not be processed", upload_id)
        _finish_failed(upload_id, f"{type(error).__name__}: {error}", now=now)
        raise
    finally:
        progress.close()


def _process(upload: ClaimUpload, progress: Progress, *, now: dt.datetime) -> ClaimUpload:
    award = upload.award
    period = selectors.period_of(award, upload.period_start)
    if period is None:
        return _finish_rejected(
            upload,
            rule="period",
            message=f"{upload.period_start:%d %b %Y} no longer starts a claim period of {award}.",
            now=now,
        )
    rule_set = selectors.rule_set_for(period, award=award)

    progress(ClaimUpload.Phase.READING, 2)
    with upload.file.open("rb") as handle:
        data = handle.read()
    try:
        frame, row_offset = read_upload(
            data, upload.original_name, max_rows=max_rows(), max_bytes=max_upload_bytes()
        )
    except FileRejected as rejected:
        return _finish_rejected(upload, rule=rejected.rule, message=rejected.message, now=now)
    del data

    progress(ClaimUpload.Phase.CHECKING, 30)
    firm_gstin, partners = selectors.partner_gstins(award)
    context = ValidationContext(
        period_start=period.starts_on,
        period_end=period.ends_on,
        unit_value_min=rule_set.unit_value_min,
        unit_value_max=rule_set.unit_value_max,
        firm_gstin=firm_gstin,
        partner_gstins=partners,
        prior_invoice_numbers=selectors.invoice_numbers(award, excluding_period=period.starts_on),
        prior_invoice_numbers_for_credit=selectors.invoices_before(
            award, period_start=period.starts_on
        ),
        row_offset=row_offset,
    )
    result = validate(frame, context)
    if not result.ok:
        return _finish_invalid(upload, frame, result, row_offset=row_offset, now=now)
    del frame
    clean = result.clean
    summed = totals(clean)
    progress(ClaimUpload.Phase.STORING, 60)
    return _store(
        upload, clean, summed, result, period=period, rule_set=rule_set, progress=progress, now=now
    )


def _advisory_key(award_id: int, period_start: dt.date) -> int:
    """One 64-bit lock key per claim (award, period), as PostgreSQL's advisory locks take."""
    text = f"claims:{award_id}:{period_start.isoformat()}".encode()
    return zlib.crc32(text) | (award_id << 32)


def _pause_before_commit() -> None:
    if not os.environ.get("DJANGO_SETTINGS_MODULE", "").endswith(".test"):
        return
    seconds = float(os.environ.get(PAUSE_ENV, "0") or 0)
    if seconds > 0:
        time.sleep(seconds)


def _store(
    upload: ClaimUpload,
    clean: pd.DataFrame,
    summed: dict,
    result: ValidationResult,
    *,
    period,
    rule_set,
    progress: Progress,
    now: dt.datetime,
) -> ClaimUpload:
    award = upload.award
    count = len(clean)
    eligible_kg: Decimal = summed["net_kg"]
    net_value: Decimal = summed["net_value"]
    report = _totals_json(clean, summed)
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_advisory_xact_lock(%s)",
                    [_advisory_key(award.pk, period.starts_on)],
                )
            if not ClaimUpload.objects.filter(
                pk=upload.pk, status=ClaimUpload.Status.PROCESSING
            ).exists():
                return ClaimUpload.objects.get(pk=upload.pk)  # another run finished it
            claim = (
                Claim.objects.select_for_update()
                .filter(award=award, period_start=period.starts_on)
                .first()
            )
            previous = claim.current_upload if claim is not None else None
            if claim is not None and claim.status != Claim.Status.DRAFT:
                raise _Refused(
                    "claim_closed",
                    f"The claim for {period.label} was {claim.get_status_display().lower()} "
                    "while this file was being checked; its lines can no longer be replaced.",
                )
            created = claim is None
            if created:
                claim = Claim(
                    award=award,
                    period_start=period.starts_on,
                    period_end=period.ends_on,
                    quarter_label=period.label,
                    is_early=period.is_early,
                    window_closes_on=period.window_closes_on(rule_set.claim_window_days),
                    rule_set=rule_set,
                    current_upload=upload,
                    line_count=count,
                    eligible_kg=eligible_kg,
                    net_sales_value=net_value,
                    created_at=now,
                    updated_at=now,
                )
                claim.save()
            else:
                with connection.cursor() as cursor:
                    cursor.execute("DELETE FROM claims_claimline WHERE claim_id = %s", [claim.pk])

            with connection.cursor() as cursor:
                storing.copy_lines(
                    cursor,
                    clean,
                    claim_id=claim.pk,
                    award_id=award.pk,
                    on_chunk=lambda stored: progress(
                        ClaimUpload.Phase.STORING, 60 + 38 * stored // max(count, 1)
                    ),
                )
            progress(ClaimUpload.Phase.STORING, 99, force=True)
            _pause_before_commit()

            old_claim = None
            if not created:
                old_claim = {
                    "current_upload": previous.pk if previous else None,
                    "line_count": claim.line_count,
                    "eligible_kg": claim.eligible_kg,
                    "net_sales_value": claim.net_sales_value,
                }
                claim.current_upload = upload
                claim.line_count = count
                claim.eligible_kg = eligible_kg
                claim.net_sales_value = net_value
                claim.updated_at = now
                claim.save(
                    update_fields=[
                        "current_upload",
                        "line_count",
                        "eligible_kg",
                        "net_sales_value",
                        "updated_at",
                    ]
                )
            if previous is not None:
                ClaimUpload.objects.filter(pk=previous.pk).update(
                    status=ClaimUpload.Status.SUPERSEDED, superseded_at=now
                )
            ClaimUpload.objects.filter(pk=upload.pk).update(
                status=ClaimUpload.Status.ACCEPTED,
                phase=ClaimUpload.Phase.DONE,
                percent=100,
                claim=claim,
                line_count=count,
                error_count=0,
                summary_by_rule=result.summary_by_rule,
                flag_summary=result.flag_summary,
                errors=[],
                totals=report,
                eligible_kg=eligible_kg,
                net_sales_value=net_value,
                finished_at=timezone.now(),
                heartbeat_at=timezone.now(),
            )
            upload.refresh_from_db()
            # Written last: the audit trail's lock is held until commit, so the long work
            # above never makes other writers wait.
            new_claim = {
                "current_upload": upload.pk,
                "line_count": count,
                "eligible_kg": eligible_kg,
                "net_sales_value": net_value,
                "at": now,
            }
            if previous is not None:
                audit.record(
                    actor=upload.uploaded_by,
                    action="claim_upload.superseded",
                    obj=previous,
                    old={"status": ClaimUpload.Status.ACCEPTED},
                    new={"status": ClaimUpload.Status.SUPERSEDED, "by": upload.pk, "at": now},
                )
            audit.record(
                actor=upload.uploaded_by,
                action="claim_upload.accepted",
                obj=upload,
                old={"status": ClaimUpload.Status.PROCESSING},
                new={
                    "status": ClaimUpload.Status.ACCEPTED,
                    "claim": claim.pk,
                    "lines": count,
                    "sha256": upload.sha256,
                    "flags": result.flag_summary,
                },
            )
            audit.record(
                actor=upload.uploaded_by,
                action="claim.created" if created else "claim.lines_replaced",
                obj=claim,
                old=old_claim,
                new=new_claim,
            )
    except _Refused as refused:
        return _finish_rejected(upload, rule=refused.rule, message=refused.message, now=now)
    except IntegrityError as error:
        # Two claims of the award stored the same invoice number at once: the database
        # refused the second. Nothing was stored.
        if "claim_line_invoice_once_per_award" not in str(error):
            raise
        return _finish_rejected(
            upload,
            rule="duplicate_prior",
            message="An invoice number in this file was stored by another claim of the award "
            "while the file was being checked (an invoice can be claimed once). Upload the "
            "file again to see which.",
            now=now,
        )
    return upload


def _totals_json(clean: pd.DataFrame, summed: dict) -> dict:
    """The totals for the pages, as JSON: Decimal as text, buyers with their names."""
    domestic = clean.loc[~clean["is_export"].to_numpy(dtype=bool)]
    names = domestic.groupby("buyer_gstin", sort=False)["buyer_name"].first().to_dict()
    flagged = {
        "related_party_lines": int(np.count_nonzero(clean["related_party"].to_numpy())),
        "outlier_lines": int(np.count_nonzero(clean["unit_value_outlier"].to_numpy())),
        "credit_note_lines": int(np.count_nonzero(clean["is_credit_note"].to_numpy())),
    }
    return audit.to_json({**summed, "buyer_names": names, "lines": len(clean), **flagged})


def _finish_rejected(
    upload: ClaimUpload, *, rule: str, message: str, now: dt.datetime
) -> ClaimUpload:
    """The file as a whole cannot be taken: one error, the reason, reported like a line's."""
    if rule not in RULES:
        raise ValueError(f"Unknown rule {rule!r}")
    return _finish(
        upload,
        status=ClaimUpload.Status.REJECTED,
        fields={
            "message": message,
            "error_count": 1,
            "summary_by_rule": {rule: 1},
            "errors": [{"row": 1, "column": "", "value": "", "rule": rule, "message": message}],
        },
        now=now,
    )


def _finish_invalid(
    upload: ClaimUpload,
    frame: pd.DataFrame,
    result: ValidationResult,
    *,
    row_offset: int,
    now: dt.datetime,
) -> ClaimUpload:
    """Lines break rules: keep the report and a copy of the file annotated with each row's errors."""
    errors = result.errors.astype({"row": "int64"}).to_dict("records")
    as_xlsx = upload.original_name.lower().endswith(".xlsx")
    annotated = annotate.annotated_file(frame, result, row_offset=row_offset, as_xlsx=as_xlsx)
    stem = PurePath(upload.original_name).stem
    suffix = ".xlsx" if as_xlsx else ".csv"
    upload.annotated_file.save(
        f"{upload.pk}-{stem[:80]}-errors{suffix}", ContentFile(annotated), save=False
    )
    return _finish(
        upload,
        status=ClaimUpload.Status.REJECTED,
        fields={
            "message": (
                f"{result.error_count:,} error{'s' if result.error_count != 1 else ''} in "
                f"{len(result.error_rows):,} of {len(frame):,} lines; nothing was stored."
            ),
            "line_count": len(frame),
            "error_count": result.error_count,
            "summary_by_rule": {k: v for k, v in result.summary_by_rule.items() if v},
            "flag_summary": result.flag_summary,
            "errors": audit.to_json(errors),
            "annotated_file": upload.annotated_file.name,
        },
        now=now,
    )


def _finish(upload: ClaimUpload, *, status: str, fields: dict, now: dt.datetime) -> ClaimUpload:
    with transaction.atomic():
        ClaimUpload.objects.filter(pk=upload.pk).update(
            status=status,
            phase=ClaimUpload.Phase.DONE,
            percent=100,
            finished_at=timezone.now(),
            heartbeat_at=timezone.now(),
            **fields,
        )
        upload.refresh_from_db()
        audit.record(
            actor=upload.uploaded_by,
            action=f"claim_upload.{status}",
            obj=upload,
            old={"status": ClaimUpload.Status.PROCESSING},
            new={
                "status": status,
                "errors": upload.error_count,
                "by_rule": upload.summary_by_rule,
                "message": upload.message[:500],
            },
        )
    return upload


def _finish_failed(upload_id: int, message: str, *, now: dt.datetime) -> None:
    with transaction.atomic():
        updated = ClaimUpload.objects.filter(
            pk=upload_id, status=ClaimUpload.Status.PROCESSING
        ).update(
            status=ClaimUpload.Status.FAILED,
            phase=ClaimUpload.Phase.DONE,
            message=message[:2000],
            finished_at=timezone.now(),
        )
        if updated:
            upload = ClaimUpload.objects.get(pk=upload_id)
            audit.record(
                actor=None,
                action="claim_upload.failed",
                obj=upload,
                old={"status": ClaimUpload.Status.PROCESSING},
                new={"status": ClaimUpload.Status.FAILED, "message": message[:500]},
            )
