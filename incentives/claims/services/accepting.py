"""Accepting a checked file: its lines become the claim's, with the claim's totals, all in one transaction."""

from __future__ import annotations

import datetime as dt
import time
import zlib
from collections.abc import Callable
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
    award = upload.award
    count = len(clean)
    eligible_kg = _decimal(summed, "net_kg")
    net_value = _decimal(summed, "net_value")
    report = _totals_json(clean, summed)
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

    with connection.cursor() as cursor:
        storing.copy_lines(
            cursor,
            clean,
            claim_id=claim.pk,
            award_id=award.pk,
            on_chunk=lambda stored: progress(Phase.STORING, 60 + 38 * stored // max(count, 1)),
        )
    progress(Phase.STORING, 99, force=True)
    _pause_before_commit()

    old_claim = None
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
        summary_by_rule=result.summary_by_rule,
        flag_summary=result.flag_summary,
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
        audit_new={"claim": claim.pk, "sha256": locked.sha256, "flags": result.flag_summary},
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


def _totals_json(clean: pd.DataFrame, summed: Totals) -> dict[str, Any]:
    """The totals for the pages, as JSON: Decimal as text, buyers with their names."""
    domestic = clean.loc[~clean["is_export"].to_numpy(dtype=bool)]
    names = domestic.groupby("buyer_gstin", sort=False)["buyer_name"].first().to_dict()
    flagged = {
        "related_party_lines": int(np.count_nonzero(clean["related_party"].to_numpy())),
        "outlier_lines": int(np.count_nonzero(clean["unit_value_outlier"].to_numpy())),
        "credit_note_lines": int(np.count_nonzero(clean["is_credit_note"].to_numpy())),
    }
    return audit.to_json({**summed, "buyer_names": names, "lines": len(clean), **flagged})


__all__ = ["Refused", "store"]
