"""The firm's side of a sales claim: submit it (CA certificate, declarations of the lines and the feedstock); a draft not submitted lapses; one reopening."""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext

from beneficiaries.models import User
from incentives.claims.models import Claim, ClaimDocument, ClaimUpload, FeedstockDeclaration
from incentives.claims.services.receiving import require_beneficiary
from incentives.claims.services.settling import CLAIM_PIPELINE, label_of
from repm_portal import audit, clock, pipeline
from repm_portal.roles import Role, require_role
from repm_portal.text import control_problems
from repm_portal.uploads import MB, PDF, checked_upload

S = Claim.Status
CERTIFICATE_MAX_BYTES = 20 * MB
# "At least a sentence": a reopening is an exception to the window, and its reason is read
# by the auditor; a word or two does not explain it.
SENTENCE_MIN_WORDS = 4
SENTENCE_MIN_CHARS = 20
LAPSE_BATCH = 500


def reopen_days() -> int:
    """How many days a reopened claim's new window runs from the reopening day."""
    return int(settings.CLAIM_REOPEN_DAYS)


def sentence(text: str, *, field: str, what: str) -> str:
    """The reason, trimmed, if it is at least a sentence; else a ValidationError at `field`."""
    problems = control_problems(text, what=field.replace("_", " "))
    if problems:
        raise ValidationError({field: problems})
    text = (text or "").strip()
    if len(text) < SENTENCE_MIN_CHARS or len(text.split()) < SENTENCE_MIN_WORDS:
        raise ValidationError(
            {
                field: [
                    gettext("Say in a full sentence (at least %(words)s words) why %(what)s.")
                    % {"words": SENTENCE_MIN_WORDS, "what": what}
                ]
            }
        )
    return text


def submit_claim(
    *,
    actor: User,
    claim: Claim,
    certificate: Any,
    declaration: bool,
    now: dt.datetime | None = None,
) -> Claim:
    """The firm submits its claim (a draft in its window, or a returned one) with its CA certificate.

    Its feedstock must have been declared (`declare_feedstock`); without it nothing is stored.

    The certificate is checked (PDF by its first bytes, size, SHA-256) before any lock is
    taken; submitting freezes the lines: no upload replaces them unless the claim is returned.
    """
    now = clock.now(now)
    require_beneficiary(actor, claim.award, "submit its sales claims")
    if declaration is not True:
        raise ValidationError(
            {"declaration": [gettext("Tick the declaration: the lines are true and complete.")]}
        )
    try:
        checked = checked_upload(
            certificate,
            allowed=[PDF],
            max_bytes=CERTIFICATE_MAX_BYTES,
            what="chartered accountant's certificate",
        )
    except ValidationError as refused:
        raise ValidationError({"certificate": refused.messages}) from None
    certificate.seek(0)
    data = certificate.read()
    return _submit(actor=actor, claim_id=claim.pk, checked=checked, data=data, now=now)


@transaction.atomic
def _submit(
    *, actor: User, claim_id: int, checked: dict[str, Any], data: bytes, now: dt.datetime
) -> Claim:
    claim = Claim.objects.select_for_update(of=("self",)).select_related("award").get(pk=claim_id)
    today = clock.today(now)
    if claim.status == S.DRAFT and today > claim.window_closes_on:
        raise ValidationError(
            gettext("The window of %(claim)s closed on %(closed)s; it can no longer be submitted.")
            % {"claim": label_of(claim), "closed": f"{claim.window_closes_on:%d %b %Y}"}
        )
    if claim.status not in (S.DRAFT, S.RETURNED):
        raise ValidationError(
            gettext("%(claim)s is %(status)s; only a draft or a returned claim is submitted.")
            % {"claim": label_of(claim), "status": gettext(claim.get_status_display()).lower()}
        )
    checking = ClaimUpload.objects.filter(
        award_id=claim.award_id,
        period_start=claim.period_start,
        status=ClaimUpload.Status.RECEIVED,
    ).first()
    if checking is not None:
        raise ValidationError(
            gettext(
                "'%(name)s' is still being checked for this claim; wait for it to be accepted "
                "or refused, then submit."
            )
            % {"name": checking.original_name}
        )
    declared = list(
        FeedstockDeclaration.objects.filter(claim=claim).values_list("source", "country", "tonnes")
    )
    if not declared:
        raise ValidationError(
            {
                "feedstock": [
                    gettext(
                        "Declare the NdPr oxide %(claim)s used, by source (IREL, other domestic, "
                        "imported by country, recycled), before submitting it."
                    )
                    % {"claim": label_of(claim)}
                ]
            }
        )
    document = ClaimDocument(
        claim=claim,
        kind=ClaimDocument.Kind.CA_CERTIFICATE,
        original_name=checked["original_name"],
        content_type=checked["content_type"],
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_by=actor,
        uploaded_at=now,
    )
    document.file.save(
        f"{now:%Y%m%d-%H%M%S}-{document.sha256[:16]}.pdf", ContentFile(data), save=False
    )
    document.save()
    audit.record(
        actor=actor,
        action="claim.document_received",
        obj=claim,
        new={
            "document": document.pk, "kind": document.kind, "file": document.original_name,
            "size": document.size, "sha256": document.sha256, "at": now,
        },
    )  # fmt: skip
    pipeline.transition(
        claim, S.SUBMITTED, pipeline=CLAIM_PIPELINE, actor=actor, now=now, label=label_of(claim),
        extra={
            "certificate_id": document.pk, "declared_by_id": actor.pk, "declared_at": now,
            "submitted_by_id": actor.pk, "submitted_at": now, "decision_reason": "",
            "updated_at": now,
        },
        audit_new={
            "certificate_sha256": document.sha256, "upload": claim.current_upload_id,
            "line_count": claim.line_count, "eligible_kg": claim.eligible_kg,
            "net_sales_value": claim.net_sales_value, "declaration": True,
            "feedstock_tonnes": sum((t for _, _, t in declared), Decimal(0)),
        },
    )  # fmt: skip
    return claim


def lapse_overdue_claims(*, now: dt.datetime | None = None, batch: int = LAPSE_BATCH) -> list[int]:
    """The beat's daily sweep: every draft whose window closed before today lapses, audited with the reason.

    Each claim moves in its own short transaction, taken with SKIP LOCKED and its window read
    again under the lock, so a claim being submitted or reopened right now is left alone.
    """
    now = clock.now(now)
    today = clock.today(now)
    overdue = Claim.objects.filter(status=S.DRAFT, window_closes_on__lt=today)
    lapsed: list[int] = []
    after = 0
    while True:
        ids = list(overdue.filter(pk__gt=after).order_by("pk").values_list("pk", flat=True)[:batch])
        if not ids:
            return lapsed
        for claim_id in ids:
            with transaction.atomic():
                candidate = overdue.filter(pk=claim_id).values_list("window_closes_on", flat=True)
                closed = candidate.first()
                if closed is None:
                    continue
                moved = pipeline.claim(
                    overdue, claim_id, S.LAPSED, pipeline=CLAIM_PIPELINE, actor=None, now=now,
                    label=f"Sales claim {claim_id}",
                    extra={"lapsed_at": now, "updated_at": now},
                    reason=f"Not submitted by {closed:%d %b %Y}, when its window closed.",
                )  # fmt: skip
                if moved is not None:
                    lapsed.append(claim_id)
        after = ids[-1]


@transaction.atomic
def reopen_claim(
    *, actor: User, claim: Claim, reason: str, now: dt.datetime | None = None
) -> Claim:
    """An official reopens a lapsed claim once, with a reason: a new window from today."""
    require_role(actor, Role.OFFICIAL, action="reopen a lapsed sales claim")
    now = clock.now(now)
    reason = sentence(reason, field="reason", what=gettext("the claim is reopened"))
    claim = Claim.objects.select_for_update(of=("self",)).select_related("award").get(pk=claim.pk)
    if claim.status != S.LAPSED:
        raise ValidationError(
            gettext("%(claim)s is %(status)s; only a lapsed claim can be reopened.")
            % {"claim": label_of(claim), "status": gettext(claim.get_status_display()).lower()}
        )
    if claim.reopened_at is not None:
        raise ValidationError(
            gettext(
                "%(claim)s was reopened once already, on %(on)s; a claim is reopened at most once."
            )
            % {"claim": label_of(claim), "on": f"{claim.reopened_at:%d %b %Y}"}
        )
    closes = clock.today(now) + dt.timedelta(days=reopen_days())
    pipeline.transition(
        claim, S.DRAFT, pipeline=CLAIM_PIPELINE, actor=actor, now=now, label=label_of(claim),
        action="claim.reopened", reason=reason,
        extra={
            "window_closes_on": closes, "reopened_by_id": actor.pk, "reopened_at": now,
            "reopen_reason": reason, "updated_at": now,
        },
    )  # fmt: skip
    return claim


__all__ = [
    "CERTIFICATE_MAX_BYTES",
    "lapse_overdue_claims",
    "reopen_claim",
    "reopen_days",
    "sentence",
    "submit_claim",
]
