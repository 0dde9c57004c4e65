"""Accepting a checked file: its lines become the claim's, with the claim's totals, all in one transaction."""

from __future__ import annotations

import datetime as dt
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
from django.conf import settings
from django.db import IntegrityError, connection, transaction

from incentives.claims import storing
from incentives.claims.models import Claim, ClaimLine, ClaimUpload
from incentives.claims.periods import ClaimPeriod
from incentives.claims.services.lifecycle import move
from incentives.ingest.streaming import StreamCheck
from incentives.ingest.validate import ValidationResult
from repm_portal import audit, clock
from repm_portal.models import RuleSet

Status = ClaimUpload.Status
Phase = ClaimUpload.Phase
Reporter = Callable[..., None]
# What incentives.ingest.totals() returns: the file's totals and breakdowns, Decimal leaves.
Totals = dict[str, object]


class Refused(Exception):
    """The file cannot be stored after all (raised inside the transaction, so nothing of it stays)."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.rule = rule
        self.message = message


def _advisory_key(award_id: int, period_start: dt.date) -> int:
    """One 64-bit lock key per claim (award, period), as PostgreSQL's advisory locks take."""
    text = f"claims:{award_id}:{period_start.isoformat()}".encode()
    return zlib.crc32(text) | (award_id << 32)


def _pause_before_commit() -> None:
    """Test-only: wait between COPY and commit (settings.CLAIMS_PAUSE_BEFORE_COMMIT_SECONDS), so a test can kill the worker there."""
    seconds = float(settings.CLAIMS_PAUSE_BEFORE_COMMIT_SECONDS or 0)
    if seconds > 0:
        time.sleep(seconds)


def store(
    upload: ClaimUpload,
    clean: pd.DataFrame,
    summed: Totals,
    result: ValidationResult,
    *,
    period: ClaimPeriod,
    rule_set: RuleSet,
    progress: Reporter,
    now: dt.datetime,
) -> ClaimUpload:
    """Store the clean lines as the claim's and accept the upload; `Refused` if it cannot be.

    Returns the upload as it stands: accepted, or already decided by another run.
    """
    try:
        with transaction.atomic():
            return _store(
                upload, clean, summed, result, period=period, rule_set=rule_set,
                progress=progress, now=now,
            )  # fmt: skip
    except IntegrityError as error:
        # Two claims of the award stored the same invoice number at once: the database
        # refused the second. Nothing was stored.
        if "claim_line_invoice_once_per_award" not in str(error):
            raise
        raise Refused(
            "duplicate_prior",
            "An invoice number in this file was stored by another claim of the award while the "
            "file was being checked (an invoice can be claimed once). Upload the file again to "
            "see which.",
        ) from None


def _decimal(summed: Totals, key: str) -> Decimal:
    value = summed[key]
    if not isinstance(value, Decimal):
        raise TypeError(f"The totals' {key!r} is {type(value).__name__}, not a Decimal.")
    return value


def _store(
    upload: ClaimUpload,
    clean: pd.DataFrame,
    summed: Totals,
    result: ValidationResult,
    *,
    period: ClaimPeriod,
    rule_set: RuleSet,
    progress: Reporter,
    now: dt.datetime,
) -> ClaimUpload:
    count = len(clean)
    eligible_kg = _decimal(summed, "net_kg")
    net_value = _decimal(summed, "net_value")
    parts = _ReportParts()
    parts.add(clean)
    opened = _open(
        upload, period=period, rule_set=rule_set, now=now, initial=(count, eligible_kg, net_value)
    )
    if isinstance(opened, ClaimUpload):
        return opened
    locked, claim, previous, created = opened
    with connection.cursor() as cursor:
        storing.copy_lines(
            cursor,
            clean,
            claim_id=claim.pk,
            award_id=upload.award.pk,
            on_chunk=lambda stored: progress(Phase.STORING, 60 + 38 * stored // max(count, 1)),
        )
    return _close(
        locked, claim, previous, created=created, count=count, eligible_kg=eligible_kg,
        net_value=net_value, report=parts.json(summed), summary_by_rule=result.summary_by_rule,
        flag_summary=result.flag_summary, progress=progress, now=now,
    )  # fmt: skip


class Unfinished(Exception):
    """The streamed lines could not all be stored as they came (a line breaks a rule, say);
    nothing of them was kept, and the file is to be checked whole."""


def store_streamed(
    upload: ClaimUpload,
    chunks: Iterable[pd.DataFrame],
    check: StreamCheck,
    *,
    period: ClaimPeriod,
    rule_set: RuleSet,
    progress: Reporter,
    now: dt.datetime,
    expected_lines: int,
) -> ClaimUpload:
    """Check and store the file's lines a chunk at a time, in one transaction; accept the upload.

    Each chunk is checked, then written by COPY while the next is read and checked, so
    reading, checking and storing overlap. The lines become the claim's only if every
    chunk passes and the file-wide checks pass at the end; otherwise (or if the claim was
    closed meanwhile, or the database finds an invoice number twice) the transaction is
    rolled back and Unfinished raised: nothing is kept. `expected_lines` only paces the
    progress shown.
    """
    try:
        with transaction.atomic():
            return _store_streamed(
                upload, chunks, check, period=period, rule_set=rule_set, progress=progress,
                now=now, expected_lines=expected_lines,
            )  # fmt: skip
    except IntegrityError as error:
        if "claim_line_invoice_once_per_award" not in str(error):
            raise
        raise Unfinished from None


def _store_streamed(
    upload: ClaimUpload,
    chunks: Iterable[pd.DataFrame],
    check: StreamCheck,
    *,
    period: ClaimPeriod,
    rule_set: RuleSet,
    progress: Reporter,
    now: dt.datetime,
    expected_lines: int,
) -> ClaimUpload:
    try:
        opened = _open(
            upload, period=period, rule_set=rule_set, now=now, initial=(0, Decimal(0), Decimal(0))
        )
    except Refused:
        raise Unfinished from None  # the whole file's check says whether its lines or this comes first
    if isinstance(opened, ClaimUpload):
        return opened
    locked, claim, previous, created = opened
    parts = _ReportParts()

    def texts() -> Iterator[tuple[bytes, int]]:
        for frame in chunks:
            clean = check.check(frame)
            del frame  # the chunk's cells go before the next chunk is read
            if clean is None:
                raise Unfinished
            parts.add(clean)
            yield from storing.copy_chunks(clean, claim_id=claim.pk, award_id=upload.award.pk)
            del clean

    pace = max(expected_lines, 1)
    with connection.cursor() as cursor:
        storing.copy_texts(
            cursor,
            texts(),
            on_chunk=lambda stored: progress(Phase.STORING, min(98, 30 + 68 * stored // pace)),
        )
    if not check.finish():
        raise Unfinished
    summed = check.totals.result()
    return _close(
        locked, claim, previous, created=created, count=check.count,
        eligible_kg=_decimal(summed, "net_kg"), net_value=_decimal(summed, "net_value"),
        report=parts.json(summed), summary_by_rule=check.summary_by_rule,
        flag_summary=check.flag_summary, progress=progress, now=now,
    )  # fmt: skip


def _open(
    upload: ClaimUpload,
    *,
    period: ClaimPeriod,
    rule_set: RuleSet,
    now: dt.datetime,
    initial: tuple[int, Decimal, Decimal],
) -> ClaimUpload | tuple[ClaimUpload, Claim, ClaimUpload | None, bool]:
    """Lock the claim and the upload, make the claim or clear its lines; or the upload if decided."""
    award = upload.award
    count, eligible_kg, net_value = initial
    # Locks in a fixed order: the claim's (advisory), the upload, the claim, the upload it replaces.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s)", [_advisory_key(award.pk, period.starts_on)]
        )
    locked = ClaimUpload.objects.select_for_update().get(pk=upload.pk)
    if locked.status != Status.RECEIVED:
        return locked  # another run decided it
    claim = (
        Claim.objects.select_for_update().filter(award=award, period_start=period.starts_on).first()
    )
    previous = claim.current_upload if claim is not None else None
    if claim is not None and claim.status not in Claim.OPEN_FOR_UPLOAD:
        raise Refused(
            "claim_closed",
            f"The claim for {period.label} was {claim.get_status_display().lower()} "
            "while this file was being checked; its lines can no longer be replaced.",
        )
    created = claim is None
    if claim is None:
        claim = Claim(
            award=award,
            period_start=period.starts_on,
            period_end=period.ends_on,
            quarter_label=period.label,
            is_early=period.is_early,
            window_closes_on=period.window_closes_on(rule_set.claim_window_days),
            rule_set=rule_set,
            current_upload=locked,
            line_count=count,
            eligible_kg=eligible_kg,
            net_sales_value=net_value,
            created_at=now,
            updated_at=now,
        )
        claim.save()
    else:
        with connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {ClaimLine._meta.db_table} WHERE claim_id = %s",  # noqa: S608 - a model's table
                [claim.pk],
            )
    return locked, claim, previous, created


def _close(
    locked: ClaimUpload,
    claim: Claim,
    previous: ClaimUpload | None,
    *,
    created: bool,
    count: int,
    eligible_kg: Decimal,
    net_value: Decimal,
    report: dict[str, Any],
    summary_by_rule: dict[str, int],
    flag_summary: dict[str, int],
    progress: Reporter,
    now: dt.datetime,
) -> ClaimUpload:
    """The lines are written: set the claim's figures, keep the report, move and audit; return the upload."""
    progress(Phase.STORING, 99, force=True)
    _pause_before_commit()

    old_claim = None
    figures = (count, eligible_kg, net_value)
    if created and (claim.line_count, claim.eligible_kg, claim.net_sales_value) != figures:
        # Made before its lines were counted (they were checked as they were stored).
        claim.line_count, claim.eligible_kg, claim.net_sales_value = figures
        claim.save(update_fields=["line_count", "eligible_kg", "net_sales_value"])
    if not created:
        old_claim = {
            "current_upload": previous.pk if previous else None,
            "line_count": claim.line_count,
            "eligible_kg": claim.eligible_kg,
            "net_sales_value": claim.net_sales_value,
        }
        claim.current_upload = locked
        claim.line_count = count
        claim.eligible_kg = eligible_kg
        claim.net_sales_value = net_value
        claim.updated_at = now
        claim.save(
            update_fields=[
                "current_upload", "line_count", "eligible_kg", "net_sales_value", "updated_at",
            ]
        )  # fmt: skip
    # The report first (too long for the audit row), then the moves, audited. Written last:
    # the audit trail's lock is held until commit, so the long work above never makes other
    # writers wait.
    ClaimUpload.objects.filter(pk=locked.pk).update(
        summary_by_rule=summary_by_rule,
        flag_summary=flag_summary,
        errors=[],
        totals=report,
    )
    if previous is not None:
        replaced = ClaimUpload.objects.select_for_update().get(pk=previous.pk)
        move(
            replaced, Status.SUPERSEDED, actor=locked.uploaded_by, now=now,
            extra={"superseded_at": now}, audit_new={"by": locked.pk},
        )  # fmt: skip
    move(
        locked, Status.ACCEPTED, actor=locked.uploaded_by, now=now,
        extra={
            "claim": claim, "line_count": count, "error_count": 0, "eligible_kg": eligible_kg,
            "net_sales_value": net_value, "finished_at": clock.now(),
        },
        audit_new={"claim": claim.pk, "sha256": locked.sha256, "flags": flag_summary},
    )  # fmt: skip
    audit.record(
        actor=locked.uploaded_by,
        action="claim.created" if created else "claim.lines_replaced",
        obj=claim,
        old=old_claim,
        new={
            "current_upload": locked.pk,
            "line_count": count,
            "eligible_kg": eligible_kg,
            "net_sales_value": net_value,
            "at": now,
        },
    )
    locked.refresh_from_db()
    return locked


class _ReportParts:
    """What the totals report adds to the totals, gathered a chunk of clean lines at a time."""

    def __init__(self) -> None:
        self.buyer_names: dict[str, str] = {}
        self.counts = {"related_party_lines": 0, "outlier_lines": 0, "credit_note_lines": 0}
        self.lines = 0

    def add(self, clean: pd.DataFrame) -> None:
        domestic = ~clean["is_export"].to_numpy(dtype=bool)
        gstins = clean["buyer_gstin"].to_numpy(dtype=object)[domestic]
        # Each GSTIN's first line (in file order) names its buyer.
        codes, distinct = pd.factorize(gstins)
        _, first = np.unique(codes, return_index=True)
        names = clean["buyer_name"].to_numpy(dtype=object)[domestic][first]
        for gstin, name in zip(distinct, names, strict=True):
            self.buyer_names.setdefault(gstin, name)
        for key, column in (
            ("related_party_lines", "related_party"),
            ("outlier_lines", "unit_value_outlier"),
            ("credit_note_lines", "is_credit_note"),
        ):
            self.counts[key] += int(np.count_nonzero(clean[column].to_numpy()))
        self.lines += len(clean)

    def json(self, summed: Totals) -> dict[str, Any]:
        """The totals for the pages, as JSON: Decimal as text, buyers with their names."""
        return audit.to_json(
            {**summed, "buyer_names": self.buyer_names, "lines": self.lines, **self.counts}
        )


__all__ = ["Refused", "Unfinished", "store", "store_streamed"]
