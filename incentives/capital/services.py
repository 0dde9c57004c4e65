"""Every write of a capital subsidy claim: upload, submit, verify, return, reject, approve, and the sanction hooks.

The ledger file is read and checked before any transaction opens (parsing is slow and holds no
lock); judging the lines against earlier claims and storing them is one transaction with the
award's row locked, so two uploads for one award cannot interleave. Approval asks the lead's
sanction pipeline for a letter in its own transaction; the figure is computed there, with the
pool's lock held (`compute`), and `on_result` closes the claim as sanctioned or nil.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import PurePath

import pandas as pd
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from beneficiaries.models import User
from bidding.models import Award
from incentives import sanctions
from incentives.capital import engine, reading, selectors
from incentives.capital.models import CapitalSubsidyClaim, ClaimDocument, InvestmentLine
from incentives.capital.reading import LedgerRejected
from incentives.models import SanctionLetter, SanctionRequest
from repm_portal import audit, clock
from repm_portal.pipeline import transition
from repm_portal.roles import AnyUser, Role, has_role, require_role
from repm_portal.text import clean_reason, reason_problems
from repm_portal.uploads import MB, PDF, checked_upload

CLAIM_TYPE = "capital_subsidy"
POOL = "capital_subsidy"
CERTIFICATE_MAX_BYTES = 20 * MB
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

Status = CapitalSubsidyClaim.Status
PIPELINE: dict[str, set[str]] = {
    Status.DRAFT: {Status.SUBMITTED},
    Status.SUBMITTED: {Status.VERIFIED, Status.RETURNED, Status.REJECTED},
    Status.RETURNED: {Status.DRAFT},
    # The approver may send a verified claim back to the verifier, or reject it.
    Status.VERIFIED: {Status.APPROVED, Status.SUBMITTED, Status.REJECTED},
    Status.APPROVED: {Status.SANCTIONED, Status.NIL},
    Status.SANCTIONED: set(),
    Status.NIL: set(),
    Status.REJECTED: set(),
}

__all__ = [
    "CLAIM_TYPE",
    "PIPELINE",
    "LedgerRejected",
    "approve_claim",
    "compute",
    "on_result",
    "reject_claim",
    "return_claim",
    "send_back",
    "submit_claim",
    "upload_ledger",
    "verify_claim",
]


def _require_claimant(actor: User, award: Award) -> None:
    """Only a user of the firm the award was made to (the bid's lead firm) acts for its claims."""
    require_role(actor, Role.FIRM_USER, action="claim the capital subsidy")
    if actor.firm_id is None or actor.firm_id != award.bid.firm_id:
        raise PermissionDenied(
            gettext("Only a user of the firm the award was made to may claim for it.")
        )


def _reason(text: str, what: str) -> str:
    return clean_reason(text, what=f"reason the claim is {what}")


def _label(claim: CapitalSubsidyClaim) -> str:
    return f"Claim {claim.reference}"


def _locked(claim: CapitalSubsidyClaim) -> CapitalSubsidyClaim:
    return CapitalSubsidyClaim.objects.select_for_update().get(pk=claim.pk)


# Upload


def upload_ledger(
    *,
    actor: User,
    award: Award,
    ledger_file: UploadedFile | None,
    certificate_file: UploadedFile | None = None,
    now: dt.datetime | None = None,
) -> CapitalSubsidyClaim:
    """Take an investment ledger (and the CA certificate) for the award's open claim, or start one.

    A file with any structural error raises LedgerRejected with every error by row and column,
    and nothing is stored. Lines that read well are judged eligible or not, with the reason.
    """
    now = clock.now(now)
    award = Award.objects.select_related("bid__firm", "tender", "rule_set").get(pk=award.pk)
    _require_claimant(actor, award)
    plant = selectors.plant_of(award)
    if plant is None or plant.commissioned_on is None:
        raise ValidationError(
            gettext(
                "The plant is not commissioned yet: the capital subsidy is claimed after "
                "commissioning."
            )
        )
    checked_certificate = None
    if certificate_file is not None:
        checked_certificate = checked_upload(
            certificate_file,
            allowed=[PDF],
            max_bytes=CERTIFICATE_MAX_BYTES,
            what="chartered accountant's certificate",
        )
    if ledger_file is None:
        raise ValidationError({"ledger": [gettext("Attach the investment ledger (CSV or XLSX).")]})
    name = PurePath(getattr(ledger_file, "name", "") or "ledger").name[:300]
    size = ledger_file.size or 0
    if size > reading.MAX_BYTES:
        raise LedgerRejected(
            [
                reading.RowError(
                    None,
                    "",
                    "",
                    "file",
                    f"'{name}' is {size / MB:,.1f} MB; an investment ledger may be "
                    f"at most {reading.MAX_BYTES // MB} MB.",
                )
            ]
        )
    ledger_file.seek(0)
    data = ledger_file.read()
    frame = reading.read_ledger(data, name)
    lines, errors = reading.check_ledger(
        frame,
        today=timezone.localdate(now),
        eligible_from=award.rule_set.capital_investment_from,
    )
    if errors:
        raise LedgerRejected(errors)
    certificate = None
    if checked_certificate is not None and certificate_file is not None:
        certificate_file.seek(0)
        certificate = _Attachment(
            name=checked_certificate["original_name"],
            content_type=checked_certificate["content_type"],
            data=certificate_file.read(),
        )
    return _store_ledger(
        actor=actor,
        award=award,
        name=name,
        data=data,
        lines=lines,
        certificate=certificate,
        now=now,
    )


@dataclass(frozen=True)
class _Attachment:
    """A checked upload, read whole, to be stored with the claim."""

    name: str
    content_type: str
    data: bytes


def _document(
    *, claim: CapitalSubsidyClaim, kind: str, name: str, data: bytes, content_type: str,
    actor: User, now: dt.datetime,
) -> ClaimDocument:  # fmt: skip
    document = ClaimDocument(
        claim=claim,
        kind=kind,
        original_name=name,
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_by=actor,
        uploaded_at=now,
    )
    document.file.save(name, ContentFile(data), save=False)
    document.save()
    return document


@transaction.atomic
def _store_ledger(
    *, actor: User, award: Award, name: str, data: bytes, lines: pd.DataFrame,
    certificate: _Attachment | None, now: dt.datetime,
) -> CapitalSubsidyClaim:  # fmt: skip
    Award.objects.select_for_update().get(pk=award.pk)  # one upload per award at a time
    claim = (
        CapitalSubsidyClaim.objects.select_for_update()
        .filter(award=award, status__in=CapitalSubsidyClaim.OPEN_STATUSES)
        .first()
    )
    if claim is not None and claim.status not in (Status.DRAFT, Status.RETURNED):
        raise ValidationError(
            gettext(
                "Claim %(reference)s is %(status)s; a new ledger can be uploaded only while a "
                "claim is a draft or returned for correction."
            )
            % {"reference": claim.reference, "status": gettext(claim.get_status_display()).lower()}
        )
    if claim is None:
        if certificate is None:
            raise ValidationError(
                {"certificate": [gettext("Attach the chartered accountant's certificate (PDF).")]}
            )
        sequence = CapitalSubsidyClaim.objects.filter(award=award).count() + 1
        claim = CapitalSubsidyClaim.objects.create(
            award=award,
            sequence=sequence,
            reference=f"CS/{award.tender.reference}/{award.label}/{sequence}",
            rule_set=award.rule_set,
            allocated_mtpa=award.allocated_mtpa,
            created_by=actor,
            created_at=now,
        )
        audit.record(
            actor=actor,
            action="capitalsubsidyclaim.created",
            obj=claim,
            new={
                "reference": claim.reference,
                "award_id": award.pk,
                "rule_set": award.rule_set.version,
                "allocated_mtpa": claim.allocated_mtpa,
            },
        )
    elif claim.status == Status.RETURNED:
        transition(
            claim, Status.DRAFT, pipeline=PIPELINE, actor=actor, now=now, label=_label(claim)
        )
    judged = engine.judge_lines(
        lines,
        eligible_from=claim.rule_set.capital_investment_from,
        claimed_before=selectors.claimed_before(award, exclude=claim),
    )
    suffix = PurePath(name).suffix.lower()
    document = _document(
        claim=claim,
        kind=ClaimDocument.Kind.LEDGER,
        name=name,
        data=data,
        content_type="text/csv" if suffix == ".csv" else XLSX,
        actor=actor,
        now=now,
    )
    new_certificate = None
    if certificate is not None:
        new_certificate = _document(
            claim=claim,
            kind=ClaimDocument.Kind.CA_CERTIFICATE,
            name=certificate.name,
            data=certificate.data,
            content_type=certificate.content_type,
            actor=actor,
            now=now,
        )
    InvestmentLine.objects.bulk_create(
        InvestmentLine(
            claim=claim,
            document=document,
            row_number=int(line.Index),
            item=line.item,
            head=line.head,
            vendor=line.vendor,
            invoice_number=line.invoice_number,
            invoice_date=line.invoice_date,
            amount=line.amount,
            duplicate_key=line.duplicate_key[:270],
            eligible=bool(verdict.eligible),
            reason=verdict.reason,
        )
        for line, verdict in zip(
            lines.itertuples(index=True), judged.itertuples(index=False), strict=True
        )
    )
    old = {
        "ledger_id": claim.ledger_id,
        "certificate_id": claim.certificate_id,
        "line_count": claim.line_count,
        "claimed_total": claim.claimed_total,
        "eligible_total": claim.eligible_total,
    }
    claim.ledger = document
    if new_certificate is not None:
        claim.certificate = new_certificate
    claim.line_count = len(lines)
    claim.claimed_total = sum(lines["amount"], start=Decimal("0"))
    claim.eligible_total = engine.eligible_total(lines["amount"], judged["eligible"])
    claim.verified_eligible = None
    claim.save(
        update_fields=[
            "ledger",
            "certificate",
            "line_count",
            "claimed_total",
            "eligible_total",
            "verified_eligible",
        ]
    )
    audit.record(
        actor=actor,
        action="capitalsubsidyclaim.ledger_uploaded",
        obj=claim,
        old=old,
        new={
            "ledger_id": document.pk,
            "ledger_name": name,
            "ledger_sha256": document.sha256,
            "certificate_id": claim.certificate_id,
            "certificate_sha256": new_certificate.sha256 if new_certificate else None,
            "line_count": claim.line_count,
            "claimed_total": claim.claimed_total,
            "eligible_total": claim.eligible_total,
            "ineligible_lines": int((~judged["eligible"]).sum()),
        },
    )
    return claim


# The firm


@transaction.atomic
def submit_claim(
    *, actor: User, claim: CapitalSubsidyClaim, now: dt.datetime | None = None
) -> CapitalSubsidyClaim:
    now = clock.now(now)
    claim = _locked(claim)
    _require_claimant(actor, claim.award)
    if claim.ledger_id is None or claim.line_count == 0:
        raise ValidationError(gettext("Upload the investment ledger before submitting."))
    if claim.certificate_id is None:
        raise ValidationError(
            gettext("Upload the chartered accountant's certificate before submitting.")
        )
    transition(
        claim,
        Status.SUBMITTED,
        pipeline=PIPELINE,
        actor=actor,
        now=now,
        label=_label(claim),
        extra={"submitted_by_id": actor.pk, "submitted_at": now, "decision_reason": ""},
    )
    return claim


# The verifier (maker)


@transaction.atomic
def verify_claim(
    *,
    actor: User,
    claim: CapitalSubsidyClaim,
    exclusions: Mapping[int, str] | None = None,
    remarks: str = "",
    now: dt.datetime | None = None,
) -> CapitalSubsidyClaim:
    """Verify the claim, excluding eligible lines the evidence does not bear out (each with its reason)."""
    require_role(actor, Role.VERIFIER, action="verify a capital subsidy claim")
    now = clock.now(now)
    claim = _locked(claim)
    if claim.status != Status.SUBMITTED:
        raise ValidationError(
            gettext("Claim %(reference)s is %(status)s; only a submitted claim is verified.")
            % {"reference": claim.reference, "status": gettext(claim.get_status_display()).lower()}
        )
    exclusions = {int(k): (v or "").strip() for k, v in (exclusions or {}).items()}
    lines = {
        line.pk: line
        for line in InvestmentLine.objects.select_for_update().filter(
            claim=claim, document_id=claim.ledger_id
        )
    }
    errors: list[str] = []
    for line_id, why in exclusions.items():
        line = lines.get(line_id)
        if line is None:
            errors.append(
                gettext("Line %(id)s is not a line of this claim's ledger.") % {"id": line_id}
            )
        elif not line.eligible:
            errors.append(
                gettext("Row %(row)s is already judged not eligible.") % {"row": line.row_number}
            )
        else:
            errors.extend(reason_problems(why, what=f"reason row {line.row_number} is excluded"))
    if errors:
        raise ValidationError({"exclusions": errors})
    for line in lines.values():
        wanted = line.pk in exclusions
        if wanted == line.excluded and (not wanted or line.exclusion_reason == exclusions[line.pk]):
            continue
        old = {"excluded": line.excluded, "exclusion_reason": line.exclusion_reason}
        line.excluded = wanted
        line.exclusion_reason = exclusions.get(line.pk, "")
        line.excluded_by = actor if wanted else None
        line.excluded_at = now if wanted else None
        line.save(update_fields=["excluded", "exclusion_reason", "excluded_by", "excluded_at"])
        audit.record(
            actor=actor,
            action="investmentline.excluded" if wanted else "investmentline.included",
            obj=line,
            old=old,
            new={
                "claim": claim.reference,
                "row": line.row_number,
                "amount": line.amount,
                "excluded": wanted,
                "exclusion_reason": line.exclusion_reason,
            },
        )
    verified = InvestmentLine.objects.filter(
        claim=claim, document_id=claim.ledger_id, eligible=True, excluded=False
    ).aggregate(total=Sum("amount"))["total"] or Decimal("0.00")
    transition(
        claim,
        Status.VERIFIED,
        pipeline=PIPELINE,
        actor=actor,
        now=now,
        label=_label(claim),
        extra={
            "verified_by_id": actor.pk,
            "verified_at": now,
            "verification_remarks": (remarks or "").strip(),
            "verified_eligible": verified,
        },
    )
    return claim


@transaction.atomic
def return_claim(
    *, actor: User, claim: CapitalSubsidyClaim, reason: str, now: dt.datetime | None = None
) -> CapitalSubsidyClaim:
    """The verifier returns a submitted claim to the firm for a corrected ledger."""
    require_role(actor, Role.VERIFIER, action="return a capital subsidy claim")
    now = clock.now(now)
    claim = _locked(claim)
    reason = _reason(reason, "returned")
    if claim.status != Status.SUBMITTED:
        raise ValidationError(
            gettext("Claim %(reference)s is not waiting for verification.")
            % {"reference": claim.reference}
        )
    transition(
        claim,
        Status.RETURNED,
        pipeline=PIPELINE,
        actor=actor,
        now=now,
        label=_label(claim),
        extra={"decision_reason": reason},
        reason=reason,
    )
    return claim


@transaction.atomic
def send_back(
    *, actor: User, claim: CapitalSubsidyClaim, reason: str, now: dt.datetime | None = None
) -> CapitalSubsidyClaim:
    """The approver sends a verified claim back to the verifier."""
    require_role(actor, Role.APPROVER, action="send a claim back to verification")
    now = clock.now(now)
    claim = _locked(claim)
    reason = _reason(reason, "sent back")
    if claim.status != Status.VERIFIED:
        raise ValidationError(
            gettext("Claim %(reference)s is not waiting for approval.")
            % {"reference": claim.reference}
        )
    transition(
        claim,
        Status.SUBMITTED,
        pipeline=PIPELINE,
        actor=actor,
        now=now,
        label=_label(claim),
        extra={"decision_reason": reason, "verified_eligible": None},
        reason=reason,
    )
    return claim


@transaction.atomic
def reject_claim(
    *, actor: User, claim: CapitalSubsidyClaim, reason: str, now: dt.datetime | None = None
) -> CapitalSubsidyClaim:
    """The verifier rejects a submitted claim, or the approver a verified one."""
    now = clock.now(now)
    claim = _locked(claim)
    reason = _reason(reason, "rejected")
    if claim.status == Status.SUBMITTED:
        require_role(actor, Role.VERIFIER, action="reject a claim under verification")
    elif claim.status == Status.VERIFIED:
        require_role(actor, Role.APPROVER, action="reject a verified claim")
    else:
        raise ValidationError(
            gettext("Claim %(reference)s is %(status)s; it cannot be rejected.")
            % {"reference": claim.reference, "status": gettext(claim.get_status_display()).lower()}
        )
    transition(
        claim,
        Status.REJECTED,
        pipeline=PIPELINE,
        actor=actor,
        now=now,
        label=_label(claim),
        extra={"decision_reason": reason, "closed_at": now},
        reason=reason,
    )
    return claim


# The approver (checker)


@transaction.atomic
def approve_claim(
    *, actor: User, claim: CapitalSubsidyClaim, now: dt.datetime | None = None
) -> CapitalSubsidyClaim:
    """Approve a verified claim (never by its verifier) and ask for its sanction, in one transaction."""
    require_role(actor, Role.APPROVER, action="approve a capital subsidy claim")
    now = clock.now(now)
    claim = _locked(claim)
    if claim.status != Status.VERIFIED:
        raise ValidationError(
            gettext("Claim %(reference)s is %(status)s; only a verified claim is approved.")
            % {"reference": claim.reference, "status": gettext(claim.get_status_display()).lower()}
        )
    if claim.verified_by_id == actor.pk:
        raise PermissionDenied(
            gettext("The verifier of a claim may not approve it (maker-checker).")
        )
    transition(
        claim,
        Status.APPROVED,
        pipeline=PIPELINE,
        actor=actor,
        now=now,
        label=_label(claim),
        extra={"approved_by_id": actor.pk, "approved_at": now},
    )
    sanctions.request_sanction(claim_type=CLAIM_TYPE, claim_id=claim.pk, actor=actor, now=now)
    return claim


# The sanction pipeline's hooks (run in the issuing transaction, with the pool's lock held)


def compute(claim_id: str) -> sanctions.Computation:
    claim = CapitalSubsidyClaim.objects.select_related(
        "award__tender", "award__bid", "rule_set"
    ).get(pk=int(claim_id))
    if claim.status not in (Status.APPROVED, Status.SANCTIONED) or claim.verified_eligible is None:
        raise ValidationError(
            gettext("Claim %(reference)s is not approved; it cannot be sanctioned.")
            % {"reference": claim.reference}
        )
    result = selectors.figure(claim, eligible=claim.verified_eligible)
    submitted = timezone.localdate(claim.submitted_at)
    return sanctions.Computation(
        award=claim.award,
        rule_set=claim.rule_set,
        amount=result.amount,
        lines=[sanctions.Line(label, value, note) for label, value, note in result.lines()],
        subject=(
            f"Capital subsidy on the investment ledger submitted on "
            f"{submitted.day} {submitted:%b %Y} (claim {claim.reference})"
        ),
        claim_ref=claim.reference,
        award_cap=result.slab.cap,
        extra={"binding": result.binding, "slab": result.slab.label},
    )


def on_result(
    claim_id: str, letter: SanctionLetter | None, computation: sanctions.Computation
) -> None:
    claim = CapitalSubsidyClaim.objects.select_for_update().get(pk=int(claim_id))
    if letter is not None:
        now = letter.created_at
    else:
        request = SanctionRequest.objects.get(key=f"{CLAIM_TYPE}:{claim.pk}")
        now = request.completed_at or clock.now()
    if letter is not None and letter.reverses_id is not None:
        # A correcting letter: the claim stays sanctioned, at the new letter's figure.
        old = {"letter_id": claim.letter_id, "sanctioned_amount": claim.sanctioned_amount}
        claim.letter = letter
        claim.sanctioned_amount = letter.amount
        claim.save(update_fields=["letter", "sanctioned_amount"])
        audit.record(
            actor=None,
            action="capitalsubsidyclaim.resanctioned",
            obj=claim,
            old=old,
            new={"letter": letter.number, "sanctioned_amount": letter.amount},
        )
        return
    if letter is not None:
        transition(
            claim,
            Status.SANCTIONED,
            pipeline=PIPELINE,
            actor=None,
            now=now,
            label=_label(claim),
            extra={"letter_id": letter.pk, "sanctioned_amount": letter.amount, "closed_at": now},
        )
    else:
        transition(
            claim,
            Status.NIL,
            pipeline=PIPELINE,
            actor=None,
            now=now,
            label=_label(claim),
            extra={"sanctioned_amount": Decimal("0.00"), "closed_at": now},
            reason=computation.lines[-1].note if computation.lines else "",
        )


def detail_url(claim_id: str) -> str:
    return reverse("capital_claim_detail", args=[int(claim_id)])


def claim_kind() -> sanctions.ClaimKind:
    return sanctions.ClaimKind(
        code=CLAIM_TYPE,
        title="Capital subsidy",
        title_hi="पूंजीगत सब्सिडी",
        pool=POOL,
        letter_prefix="REPM/CS",
        compute=compute,
        on_result=on_result,
        detail_url=detail_url,
    )


def can_act(user: AnyUser, claim: CapitalSubsidyClaim) -> dict[str, bool]:
    """What the user may do to the claim now, for pages and the API to offer."""
    firm = has_role(user, Role.FIRM_USER) and user.firm_id == claim.award.bid.firm_id
    return {
        "upload": firm and claim.status in (Status.DRAFT, Status.RETURNED),
        "submit": firm and claim.status == Status.DRAFT and claim.line_count > 0,
        "verify": has_role(user, Role.VERIFIER) and claim.status == Status.SUBMITTED,
        "approve": (
            has_role(user, Role.APPROVER)
            and claim.status == Status.VERIFIED
            and claim.verified_by_id != user.pk
        ),
    }
