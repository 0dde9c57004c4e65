"""Evidence bundles: asked for (audited, its job enqueued on commit), then built by the job into a zip."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import re
import zipfile
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _

from beneficiaries.models import User
from incentives.evidence import collect, layout
from incentives.evidence.models import BundleRun
from repm_portal import audit, clock, jobs
from repm_portal.exports import csv_rows
from repm_portal.roles import Role, require_role

# Who may produce a bundle: auditors and the ministry's officials (and the administrator).
BUNDLE_MAKERS = (Role.AUDITOR, Role.OFFICIAL, Role.ADMIN)
_YEAR = re.compile(r"([0-9]{4})-([0-9]{2})")

README_TEXT = """REPM Portal evidence bundle ({format} version {version})

Financial year {year}; produced {at} by {by}.
manifest.json lists every other file with its SHA-256 and size. The format, every field and how
each figure is recomputed are described in the portal's docs/evidence-bundle.md.
Check it with:  python manage.py verify_bundle <this zip>
SLI inputs (sli_inputs/*.json) are in the `sli_compute` format: python manage.py sli_compute FILE.
Capital subsidy inputs (capital_inputs/*.json) are rebuilt from the ledger as it stood before the
letter, since the portal does not freeze them at sanction.
"""


def _valid_year(label: str) -> str:
    match = _YEAR.fullmatch(label.strip())
    if match is None or (int(match[1]) + 1) % 100 != int(match[2]):
        raise ValidationError(
            {
                "financial_year": [
                    _("%(label)r is not a financial year such as 2030-31.") % {"label": label}
                ]
            }
        )
    return match[0]


@transaction.atomic
def request_bundle(
    *, actor: User, financial_year: str, pool: str = "", now: dt.datetime | None = None
) -> BundleRun:
    """Ask for the bundle of a financial year; its job builds it once this commits."""
    require_role(actor, *BUNDLE_MAKERS, action="produce an evidence bundle")
    year = _valid_year(financial_year)
    if pool not in BundleRun.Pool.values:
        raise ValidationError({"pool": [_("%(pool)r is not a pool.") % {"pool": pool}]})
    run = BundleRun.objects.create(
        financial_year=year, pool=pool, requested_by=actor, requested_at=clock.now(now)
    )
    jobs.enqueue_on_commit(BundleRun.TASK, run.pk, key=f"evidence-bundle:{run.pk}")
    audit.record(
        actor=actor, action="evidencebundle.requested", obj=run,
        new={"financial_year": year, "pool": pool or "all"},
    )  # fmt: skip
    return run


def _json_bytes(value: Any) -> bytes:
    return (json.dumps(value, indent=2, ensure_ascii=False, sort_keys=False) + "\n").encode()


def pack(*, files: dict[str, bytes], manifest: dict[str, Any], moment: dt.datetime) -> bytes:
    """The zip: every file, then manifest.json listing each one's SHA-256 and size."""
    listed = [
        {"path": path, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
        for path, data in sorted(files.items())
    ]
    stamp = moment.timetuple()[:6]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path, data in [(layout.MANIFEST, _json_bytes({**manifest, "files": listed})),
                           *sorted(files.items())]:  # fmt: skip
            info = zipfile.ZipInfo(path, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return buffer.getvalue()


def bundle_bytes(
    *, financial_year: str, pool: str, produced_by: User, now: dt.datetime,
    progress: collect.Progress | None = None,
) -> tuple[bytes, collect.Collected]:  # fmt: skip
    """The bundle of a financial year as zip bytes, from the figures of record."""
    collected = collect.collect(
        financial_year=financial_year, pool=pool, as_of=clock.today(now), progress=progress
    )
    files = {path: _json_bytes(value) for path, value in collected.files.items()}
    files[layout.SANCTIONS] = _json_bytes(collected.sanctions)
    files[layout.REGISTER] = "".join(
        csv_rows(list(layout.REGISTER_COLUMNS), layout.register_rows(collected.sanctions))
    ).encode()
    by = {
        "username": produced_by.username,
        "name": produced_by.get_full_name(),
        "role": produced_by.role,
    }
    files[layout.README] = README_TEXT.format(
        format=layout.FORMAT, version=layout.FORMAT_VERSION, year=financial_year,
        at=now.isoformat(), by=produced_by.username,
    ).encode()  # fmt: skip
    manifest = {
        "format": layout.FORMAT,
        "format_version": layout.FORMAT_VERSION,
        "financial_year": financial_year,
        "produced_at": now.isoformat(),
        "produced_by": by,
        "filters": {"financial_year": financial_year, "pool": pool or "all"},
        "counts": collected.counts,
    }
    if progress is not None:
        progress("Packing the zip", 90)
    return pack(files=files, manifest=manifest, moment=now), collected


def build_bundle(run_id: int, *, progress: collect.Progress | None = None,
                 now: dt.datetime | None = None) -> BundleRun:  # fmt: skip
    """Build the run's zip (once: a built run is returned as it is) and keep it with its hash."""
    run = BundleRun.objects.select_related("requested_by").get(pk=run_id)
    if run.is_built:
        return run
    now = clock.now(now)
    data, collected = bundle_bytes(
        financial_year=run.financial_year, pool=run.pool, produced_by=run.requested_by,
        now=now, progress=progress,
    )  # fmt: skip
    digest = hashlib.sha256(data).hexdigest()
    name = f"repm-evidence-{run.financial_year}-{run.pk}.zip"
    with transaction.atomic():
        locked = BundleRun.objects.select_for_update().get(pk=run.pk)
        if locked.is_built:
            return locked
        locked.file.save(name, ContentFile(data), save=False)
        locked.sha256, locked.size = digest, len(data)
        locked.letter_count = collected.counts["letters"]
        locked.built_at = now
        locked.save(update_fields=["file", "sha256", "size", "letter_count", "built_at"])
        audit.record(
            actor=None, action="evidencebundle.built", obj=locked,
            old={"built_at": None},
            new={"sha256": digest, "size": len(data), "counts": collected.counts,
                 "built_at": now},
        )  # fmt: skip
    return locked


__all__ = ["BUNDLE_MAKERS", "build_bundle", "bundle_bytes", "pack", "request_bundle"]
