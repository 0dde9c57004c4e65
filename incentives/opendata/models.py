"""Kept OCDS releases: one row per public moment of a tender, written once and never changed."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from bidding.models import Tender
from repm_portal.models import AuditEvent


class KeptRelease(models.Model):
    """One OCDS release as published: built at the audited event it records, served at its own URL.

    The content is frozen at keeping (a trigger refuses UPDATE and DELETE), so what an outsider
    downloaded once is what the portal serves for good; a later change is a later release.
    """

    tender = models.ForeignKey(Tender, on_delete=models.PROTECT, related_name="ocds_releases")
    ocid = models.CharField(max_length=60, db_index=True)
    sequence = models.PositiveIntegerField(help_text="1, 2, ... within the tender, in date order")
    release_id = models.CharField(max_length=100, unique=True, help_text="The OCDS release id")
    date = models.DateTimeField(help_text="When the public event happened (the release's date)")
    tags = models.JSONField(help_text="The release's OCDS tags")
    content = models.JSONField(help_text="The release as published")
    sha256 = models.CharField(max_length=64, help_text="Of the canonical JSON of the content")
    event = models.ForeignKey(
        AuditEvent,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The last audited event this release records (a re-tender's publication is "
        "also its parent's)",
    )
    events = models.JSONField(help_text="Ids of every audited event this release records")
    kept_at = models.DateTimeField()

    class Meta:
        ordering = ["tender", "sequence"]
        constraints = [
            models.UniqueConstraint(
                fields=["tender", "sequence"], name="kept_release_sequence_unique"
            ),
            # One release per tender per audited moment: a second sweep keeps nothing again.
            models.UniqueConstraint(fields=["tender", "event"], name="kept_release_event_unique"),
            models.CheckConstraint(
                condition=Q(sequence__gt=0, sha256__regex=r"^[0-9a-f]{64}$"),
                name="kept_release_sane",
            ),
        ]

    def __str__(self) -> str:
        return f"OCDS release {self.release_id}"
