"""The writes of oversight: asking for an export run (audited, its job sent on commit), and
producing its file in the worker (written outside any transaction, then attached and audited)."""

from __future__ import annotations

import datetime as dt
import hashlib
import tempfile
from typing import IO

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import transaction
from django.utils import timezone

from beneficiaries.models import User
from incentives.oversight import sheets, writing
from incentives.oversight.models import ExportRun
from incentives.oversight.selectors import require_exporter
from repm_portal import audit, clock, jobs

WRITERS = {ExportRun.Format.CSV: writing.write_csv, ExportRun.Format.XLSX: writing.write_xlsx}


@transaction.atomic
def request_export(
    *, actor: User, kind: str, fmt: str, params: dict[str, str], now: dt.datetime | None = None
) -> ExportRun:
    """Ask for an export to be produced in the background; its job runs once this commits.

    The filters are checked now (a bad one is refused and nothing is written), and kept as asked
    so the run states them and a later run can repeat them.
    """
    require_exporter(actor)
    now = clock.now(now)
    if fmt not in ExportRun.Format.values:
        raise ValidationError({"format": [f"Exports are CSV or XLSX, not {fmt!r}."]})
    cleaned = sheets.clean_params(kind, params) if kind in sheets.FILTERS else {}
    sheets.build(kind, actor, cleaned, timezone.localdate(now))  # validates; reads no rows
    run = ExportRun.objects.create(
        kind=kind, format=fmt, filters=cleaned, requested_by=actor, requested_at=now
    )
    jobs.enqueue_on_commit(ExportRun.TASK, run.pk)
    audit.record(
        actor=actor, action="export.requested", obj=run,
        new={"kind": kind, "format": fmt, "filters": cleaned},
    )  # fmt: skip
    return run


def produce_export(
    run_id: int, *, progress: jobs.Run | None = None, now: dt.datetime | None = None
) -> ExportRun:
    """Write the run's file row by row, then attach it with its hash and row count; once only.

    The rows are read in chunks and written straight to a temporary file, so neither the
    worker's memory nor a transaction holds the whole export.
    """
    run = ExportRun.objects.select_related("requested_by").get(pk=run_id)
    if run.finished_at is not None:
        return run  # a repeat delivery: the file is already there
    try:
        sheet = sheets.build(
            run.kind, run.requested_by, run.filters, timezone.localdate(run.requested_at)
        )
    except (PermissionDenied, ValidationError) as error:
        raise jobs.GiveUp(str(error)) from error
    total = sheet.count()
    lines = writing.statement(
        sheet,
        produced_at=timezone.localtime(clock.now(now)),
        produced_by=sheets.person(run.requested_by),
        count=total,
        run_id=run.pk,
    )
    written = 0

    def report(done: int) -> None:
        nonlocal written
        written = done
        if progress is not None:
            denominator = max(total, 1) if run.kind != ExportRun.Kind.WORKING else None
            percent = 95 * done // denominator if denominator else min(90, done // 50)
            progress.progress("writing rows", min(percent, 95))

    if progress is not None:
        progress.progress("counting rows", 1, force=True)
    with tempfile.TemporaryFile() as out:
        WRITERS[ExportRun.Format(run.format)](sheet, lines, out, report)
        size = out.tell()
        out.seek(0)
        digest = hashlib.sha256()
        for block in iter(lambda: out.read(1 << 20), b""):
            digest.update(block)
        out.seek(0)
        stamp = timezone.localtime(run.requested_at).strftime("%Y%m%d-%H%M")
        name = f"repm-{run.kind}-{stamp}-run{run.pk}.{run.format}"
        return _attach(run.pk, out, name, digest.hexdigest(), size, written, now)


@transaction.atomic
def _attach(
    run_id: int,
    out: IO[bytes],
    name: str,
    sha256: str,
    size: int,
    rows: int,
    now: dt.datetime | None,
) -> ExportRun:
    run = ExportRun.objects.select_for_update().get(pk=run_id)
    if run.finished_at is not None:
        return run
    run.file.save(name, File(out), save=False)
    run.sha256, run.size, run.row_count, run.finished_at = sha256, size, rows, clock.now(now)
    run.save(update_fields=["file", "sha256", "size", "row_count", "finished_at"])
    audit.record(
        actor=None, action="export.produced", obj=run,
        new={"file": run.file.name, "sha256": sha256, "rows": rows, "size": size},
    )  # fmt: skip
    return run


__all__ = ["produce_export", "request_export"]
