"""Tenders: the offer, its timeline and versions, RFP documents, committee and pre-bid queries."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_noop

from beneficiaries.models import Firm
from repm_portal.models import RuleSet

SHA256_HEX = {"max_length": 64}
RATE = {"max_digits": 8, "decimal_places": 2}
OXIDE = {"max_digits": 10, "decimal_places": 3}

# The dates of a tender that a corrigendum may move, in the order they must fall.
TIMELINE_FIELDS = (
    "queries_due",
    "prebid_meeting_at",
    "replies_due",
    "bids_due",
    "technical_opening_at",
    "financial_opening_at",
)
# In English here (OCDS and the API use them); the pages translate them (gettext_noop marks them).
TIMELINE_LABELS = {
    "queries_due": gettext_noop("Pre-bid queries due"),
    "prebid_meeting_at": gettext_noop("Pre-bid meeting"),
    "replies_due": gettext_noop("Replies and corrigenda by"),
    "bids_due": gettext_noop("Bids due"),
    "technical_opening_at": gettext_noop("Technical opening"),
    "financial_opening_at": gettext_noop("Financial opening"),
}


def _shown(value) -> str:
    """A stored change value for people: an ISO time becomes local time, anything else stays."""
    if isinstance(value, str):
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
        if moment.tzinfo is not None:
            return timezone.localtime(moment).strftime("%d %b %Y, %H:%M IST")
    return "" if value is None else str(value)


def _timeline_ordered() -> Q:
    return (
        Q(queries_due__lte=F("prebid_meeting_at"))
        & Q(prebid_meeting_at__lte=F("replies_due"))
        & Q(replies_due__lte=F("bids_due"))
        & Q(bids_due__lte=F("technical_opening_at"))
        & Q(technical_opening_at__lt=F("financial_opening_at"))
    )


class Tender(models.Model):
    """A Global Tender Enquiry for capacity under the scheme; its dates are those of its latest version."""

    class Kind(models.TextChoices):
        MAIN = "main", "Main tender"
        RETENDER = "retender", "Re-tender of forfeited capacity"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        TECHNICAL_OPENED = "technical_opened", "Technical covers opened"
        TECHNICAL_EVALUATED = "technical_evaluated", "Technical evaluation approved"
        FINANCIAL_OPENED = "financial_opened", "Financial covers opened and ranked"
        AWARDED = "awarded", "Awarded"
        CANCELLED = "cancelled", "Cancelled"

    reference = models.CharField(max_length=60, unique=True)
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.MAIN)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="retenders",
        help_text="The tender whose forfeited capacity this re-tender offers",
    )
    rule_set = models.ForeignKey(RuleSet, on_delete=models.PROTECT, related_name="tenders")
    capacity_mtpa = models.PositiveIntegerField("capacity on offer (MTPA)")
    slots = models.PositiveIntegerField("beneficiary slots on offer")
    oxide_mtpa = models.DecimalField("IREL NdPr oxide on offer (MTPA)", **OXIDE)
    opening_quorum = models.PositiveSmallIntegerField(default=2)
    status = models.CharField(max_length=30, choices=Status.choices, default=Status.DRAFT)

    queries_due = models.DateTimeField()
    prebid_meeting_at = models.DateTimeField("pre-bid meeting")
    prebid_meeting_place = models.CharField(max_length=300, blank=True)
    replies_due = models.DateTimeField("replies and corrigenda by")
    bids_due = models.DateTimeField()
    technical_opening_at = models.DateTimeField()
    financial_opening_at = models.DateTimeField()

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()
    published_at = models.DateTimeField(null=True, blank=True)
    technical_opened_at = models.DateTimeField(null=True, blank=True)
    technical_evaluated_at = models.DateTimeField(null=True, blank=True)
    financial_opened_at = models.DateTimeField(null=True, blank=True)
    awarded_at = models.DateTimeField(null=True, blank=True)
    committee = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="CommitteeMember", related_name="opening_committees"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(capacity_mtpa__gt=0, slots__gt=0, oxide_mtpa__gte=0),
                name="tender_offer_positive",
            ),
            models.CheckConstraint(condition=Q(opening_quorum__gte=2), name="tender_quorum_two"),
            models.CheckConstraint(condition=_timeline_ordered(), name="tender_timeline_ordered"),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(status="cancelled") | Q(published_at__isnull=False),
                name="tender_published_has_date",
            ),
            models.CheckConstraint(
                condition=Q(financial_opened_at__isnull=True)
                | Q(
                    technical_opened_at__isnull=False,
                    technical_evaluated_at__isnull=False,
                    financial_opened_at__gte=F("technical_opened_at"),
                ),
                name="tender_financial_after_technical",
            ),
            models.CheckConstraint(
                condition=Q(kind="main", parent__isnull=True) | Q(kind="retender"),
                name="tender_main_has_no_parent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference}: {self.title}"

    @property
    def timeline(self) -> list[tuple[str, str, object]]:
        return [(name, TIMELINE_LABELS[name], getattr(self, name)) for name in TIMELINE_FIELDS]


class CommitteeMember(models.Model):
    """A member of a tender's bid-opening committee."""

    tender = models.ForeignKey(Tender, on_delete=models.CASCADE, related_name="committee_members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["tender", "id"]
        constraints = [
            models.UniqueConstraint(fields=["tender", "user"], name="committee_member_once")
        ]

    def __str__(self) -> str:
        return f"{self.user} on {self.tender.reference}"


class TenderVersion(models.Model):
    """The timeline as published (number 1) or as changed by a corrigendum (2, 3, ...). Append-only."""

    tender = models.ForeignKey(Tender, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    issued_at = models.DateTimeField()
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    summary = models.TextField()
    changes = models.JSONField(default=dict, blank=True, help_text="Changed dates, old and new")
    queries_due = models.DateTimeField()
    prebid_meeting_at = models.DateTimeField()
    prebid_meeting_place = models.CharField(max_length=300, blank=True)
    replies_due = models.DateTimeField()
    bids_due = models.DateTimeField()
    technical_opening_at = models.DateTimeField()
    financial_opening_at = models.DateTimeField()

    class Meta:
        ordering = ["tender", "number"]
        constraints = [
            models.UniqueConstraint(fields=["tender", "number"], name="tender_version_unique"),
            models.CheckConstraint(condition=Q(number__gte=1), name="tender_version_from_one"),
            models.CheckConstraint(
                condition=_timeline_ordered(), name="tender_version_timeline_ordered"
            ),
        ]

    def __str__(self) -> str:
        if self.number == 1:
            return f"{self.tender.reference} as published"
        return f"{self.tender.reference} corrigendum {self.number - 1}"

    @property
    def is_corrigendum(self) -> bool:
        return self.number > 1

    @property
    def change_list(self) -> list[tuple[str, str, str]]:
        """(what, was, now) for each change, times shown in Indian Standard Time."""
        return [
            (
                TIMELINE_LABELS.get(name, name.replace("_", " ").capitalize()),
                _shown(change.get("old")),
                _shown(change.get("new")),
            )
            for name, change in sorted(self.changes.items())
        ]

    @property
    def timeline(self) -> list[tuple[str, str, object]]:
        return [(name, TIMELINE_LABELS[name], getattr(self, name)) for name in TIMELINE_FIELDS]


class TenderDocument(models.Model):
    """An RFP document; a revision is a new row that supersedes the old one, never an overwrite."""

    tender = models.ForeignKey(Tender, on_delete=models.PROTECT, related_name="documents")
    version = models.ForeignKey(
        TenderVersion,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="documents",
        help_text="The corrigendum that issued it; empty for documents issued with the tender",
    )
    supersedes = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by"
    )
    title = models.CharField(max_length=300)
    file = models.FileField(upload_to="bidding/tenders/%Y/%m/", max_length=300)
    original_name = models.CharField(max_length=300)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(**SHA256_HEX)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField()

    class Meta:
        ordering = ["tender", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(sha256__regex=r"^[0-9a-f]{64}$"), name="tender_document_sha256_hex"
            ),
            models.CheckConstraint(
                condition=~Q(supersedes=F("id")), name="tender_document_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.tender.reference})"


class PreBidQuery(models.Model):
    """A firm's question before the pre-bid deadline; the answer is published to all, the asker never."""

    tender = models.ForeignKey(Tender, on_delete=models.PROTECT, related_name="queries")
    firm = models.ForeignKey(Firm, on_delete=models.PROTECT, related_name="+")
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    asked_at = models.DateTimeField()
    question = models.TextField()
    answer = models.TextField(blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["tender", "asked_at", "id"]
        verbose_name_plural = "pre-bid queries"
        constraints = [
            models.CheckConstraint(
                condition=Q(answer="", answered_by__isnull=True, answered_at__isnull=True)
                | (~Q(answer="") & Q(answered_by__isnull=False, answered_at__isnull=False)),
                name="query_answer_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"Query {self.pk} on {self.tender.reference}"
