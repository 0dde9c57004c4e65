"""Checking a received file in the worker: read it, check every line, then accept, reject, or fail it."""

from __future__ import annotations

import datetime as dt
from pathlib import PurePath
from typing import Any, BinaryIO

import pandas as pd
from django.core.files.base import ContentFile
from django.db import transaction

from incentives.claims import selectors
from incentives.claims.models import ClaimUpload
from incentives.claims.periods import ClaimPeriod
from incentives.claims.services import accepting
from incentives.claims.services.accepting import Refused, Reporter, Unfinished
from incentives.claims.services.lifecycle import move
from incentives.claims.services.limits import max_rows, max_upload_bytes
from incentives.ingest import annotate
from incentives.ingest.chunks import Unstreamable, csv_chunks, is_streamable, scan_text
from incentives.ingest.reading import FILE_RULES, ROW_OFFSET, FileRejected, read_upload
from incentives.ingest.streaming import StreamCheck
from incentives.ingest.validate import (
    ERROR_RULES,
    ValidationContext,
    ValidationResult,
    totals,
    validate,
)
from repm_portal import audit, clock
from repm_portal.models import RuleSet

Status = ClaimUpload.Status
Phase = ClaimUpload.Phase

# Every code an upload's report can carry: the line rules, the whole-file ones, and two that
# arise while storing.
RULES: dict[str, str] = {
    **ERROR_RULES,
    **FILE_RULES,
    "period": "The upload's claim period no longer exists.",
    "claim_closed": "The claim was submitted while the file was being checked.",
}


def _silent(phase: str, percent: int, *, force: bool = False) -> None:
    """The progress reporter of a check run outside a job (the demo, a bench, a test)."""


def process_upload(
    *, upload_id: int, now: dt.datetime | None = None, progress: Reporter | None = None
) -> ClaimUpload | None:
    """Read, check and (if every line passes) store one received upload; its job's task calls this.

    `progress(phase, percent, force=False)` hears how far it has got (the job's reporter).
    Returns the upload, or None when it is not waiting for its check (another run decided
    it). A file with any error changes nothing but the upload's own report; an accepted
    file's lines are stored in one transaction, so a worker killed midway leaves no part of
    them. An error is raised to the caller: the job retries, then fails the upload.
    """
    now = clock.now(now)
    upload = (
        ClaimUpload.objects.select_related("award__bid__firm", "award__rule_set")
        .filter(pk=upload_id, status=Status.RECEIVED)
        .first()
    )
    if upload is None:
        return None
    return _process(upload, progress or _silent, now=now)


def _process(upload: ClaimUpload, progress: Reporter, *, now: dt.datetime) -> ClaimUpload:
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

    progress(Phase.READING, 2)
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
        registered_plant=plant.name if (plant := selectors.plant_of(award)) else None,
        row_offset=ROW_OFFSET,
    )
    if is_streamable(upload.original_name):
        # The usual case, a CSV file whose every line passes: read from the file store,
        # checked and stored a chunk at a time, never held whole. Any other outcome is
        # learnt by checking the file whole, below.
        stored = _stream(
            upload, context, period=period, rule_set=rule_set, progress=progress, now=now
        )
        if stored is not None:
            return stored

    data = _read_stored(upload)
    try:
        frame, row_offset = read_upload(
            data, upload.original_name, max_rows=max_rows(), max_bytes=max_upload_bytes()
        )
    except FileRejected as rejected:
        return _finish_rejected(upload, rule=rejected.rule, message=rejected.message, now=now)
    del data

    progress(Phase.CHECKING, 30)
    result = validate(frame, context)
    if not result.ok:
        return _finish_invalid(upload, frame, result, row_offset=row_offset, now=now)
    del frame
    clean = result.clean
    summed = totals(clean)
    progress(Phase.STORING, 60)
    try:
        return accepting.store(
            upload, clean, summed, result, period=period, rule_set=rule_set,
            progress=progress, now=now,
        )  # fmt: skip
    except Refused as refused:
        return _finish_rejected(upload, rule=refused.rule, message=refused.message, now=now)


def _stream(
    upload: ClaimUpload,
    context: ValidationContext,
    *,
    period: ClaimPeriod,
    rule_set: RuleSet,
    progress: Reporter,
    now: dt.datetime,
) -> ClaimUpload | None:
    """Check and store a CSV file a chunk at a time; None if it must be checked whole."""
    with _open_stored(upload) as handle:
        try:
            feeds = scan_text(handle)
            return accepting.store_streamed(
                upload,
                csv_chunks(
                    handle, upload.original_name, max_rows=max_rows(), max_bytes=max_upload_bytes()
                ),
                StreamCheck(context),
                period=period, rule_set=rule_set, progress=progress, now=now,
                expected_lines=feeds,
            )  # fmt: skip
        except (Unfinished, Unstreamable):
            return None


def _open_stored(upload: ClaimUpload) -> BinaryIO:
    """The upload's file as received, open for reading from the file store."""
    return upload.file.open("rb")


def _read_stored(upload: ClaimUpload) -> bytes:
    """The upload's file as received, from the file store."""
    with _open_stored(upload) as handle:
        return handle.read()


def _finish_rejected(
    upload: ClaimUpload, *, rule: str, message: str, now: dt.datetime
) -> ClaimUpload:
    """The file as a whole cannot be taken: one error, the reason, reported like a line's."""
    if rule not in RULES:
        raise ValueError(f"Unknown rule {rule!r}")
    return _reject(
        upload,
        report={
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
    return _reject(
        upload,
        report={
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


@transaction.atomic
def _reject(upload: ClaimUpload, *, report: dict[str, Any], now: dt.datetime) -> ClaimUpload:
    """Keep the report (too long for the audit row), then move the upload to rejected, audited."""
    locked = ClaimUpload.objects.select_for_update().get(pk=upload.pk)
    if locked.status != Status.RECEIVED:
        return locked  # another run decided it
    ClaimUpload.objects.filter(pk=locked.pk).update(**report)
    locked.refresh_from_db()
    move(
        locked, Status.REJECTED, actor=locked.uploaded_by, now=now,
        extra={"finished_at": clock.now()},
        audit_new={
            "errors": locked.error_count, "by_rule": locked.summary_by_rule,
            "message": locked.message[:500],
        },
    )  # fmt: skip
    return locked


@transaction.atomic
def fail_upload(*, upload_id: int, reason: str, now: dt.datetime | None = None) -> ClaimUpload:
    """Its job failed for good: the upload could not be processed, for this reason; its firm may re-run it."""
    now = clock.now(now)
    locked = ClaimUpload.objects.select_for_update().get(pk=upload_id)
    if locked.status != Status.RECEIVED:
        return locked  # decided after all (the job's last attempt stored it, then failed)
    move(
        locked, Status.FAILED, actor=None, now=now,
        extra={"message": reason[:2000], "finished_at": clock.now()},
    )  # fmt: skip
    return locked


__all__ = ["RULES", "fail_upload", "process_upload"]
