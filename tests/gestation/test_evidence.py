"""Bad evidence is refused with a clear message, and nothing of it is stored."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from incentives.gestation import services
from incentives.gestation.models import MilestoneEvidence
from repm_portal.models import AuditEvent
from tests.gestation.milestones import PDF, PNG, at, pdf

ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 64
DOCX = b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 64


def stored_files(media_root) -> list:
    return [p for p in media_root.rglob("*") if p.is_file()] if media_root.exists() else []


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (SimpleUploadedFile("empty.pdf", b""), "The evidence file empty.pdf is empty."),
        (
            SimpleUploadedFile("certificate.pdf", ELF),
            "The evidence file certificate.pdf must be a PDF, PNG, JPEG file; this one is not.",
        ),
        (
            SimpleUploadedFile("progress.docx", DOCX),
            "The evidence file progress.docx must be a PDF, PNG, JPEG file; this one is not.",
        ),
        (
            SimpleUploadedFile("site-photo.pdf", PNG),
            "The evidence file site-photo.pdf is a PNG file but is named .pdf; rename it to .png and attach it again.",
        ),
        (
            SimpleUploadedFile("huge.pdf", PDF + b"0" * services.EVIDENCE_MAX_BYTES),
            "The evidence file huge.pdf is 10.0 MB; at most 10 MB is accepted.",
        ),
    ],
    ids=["empty", "renamed-binary", "wrong-type", "misnamed", "too-big"],
)
def test_bad_evidence_is_refused_and_nothing_is_stored(
    plant, firm_user, media_root, upload, message
):
    land = plant.milestones.get(kind="land")
    # A good file alongside the bad one is not stored either: the submission is all or nothing
    with pytest.raises(ValidationError) as info:
        services.submit_milestone(
            actor=firm_user, milestone=land, actual_on=dt.date(2026, 5, 1),
            files=[pdf("good.pdf"), upload], now=at(dt.date(2026, 5, 2)),
        )  # fmt: skip
    assert info.value.message_dict["files"] == [message]
    land.refresh_from_db()
    assert land.status == "planned"
    assert not MilestoneEvidence.objects.exists()
    assert stored_files(media_root) == []
    assert not AuditEvent.objects.filter(action__startswith="milestone").exists()


def test_a_submission_needs_evidence(plant, firm_user):
    with pytest.raises(ValidationError) as info:
        services.submit_milestone(actor=firm_user, milestone=plant.milestones.get(kind="land"),
                                  actual_on=dt.date(2026, 5, 1), files=[], now=at(dt.date(2026, 5, 2)))  # fmt: skip
    assert info.value.message_dict["files"] == [
        "Attach at least one evidence file (PDF, PNG or JPEG)."
    ]


def test_good_evidence_is_kept_with_its_hash_and_type_from_its_content(
    plant, firm_user, media_root
):
    land = plant.milestones.get(kind="land")
    services.submit_milestone(
        actor=firm_user, milestone=land, actual_on=dt.date(2026, 5, 1),
        files=[pdf("deed.pdf"), SimpleUploadedFile("site.PNG", PNG, content_type="application/pdf")],
        now=at(dt.date(2026, 5, 2)),
    )  # fmt: skip
    kept = list(
        land.evidence.order_by("original_name").values_list("original_name", "content_type", "size")
    )
    assert kept == [("deed.pdf", "application/pdf", len(PDF)), ("site.PNG", "image/png", len(PNG))]
    assert len(stored_files(media_root)) == 2
    assert AuditEvent.objects.filter(action="milestoneevidence.uploaded").count() == 2


def test_files_written_before_a_late_failure_are_removed(plant, firm_user, media_root, monkeypatch):
    # Given the status move fails after the files were written (a concurrent change, say)
    def fail(*args, **kwargs):
        raise ValidationError("moved meanwhile")

    monkeypatch.setattr(services, "_move", fail)
    with pytest.raises(ValidationError, match="moved meanwhile"):
        services.submit_milestone(actor=firm_user, milestone=plant.milestones.get(kind="land"),
                                  actual_on=dt.date(2026, 5, 1), files=[pdf()], now=at(dt.date(2026, 5, 2)))  # fmt: skip
    assert stored_files(media_root) == []
    assert not MilestoneEvidence.objects.exists()
