"""Payout accounts: a firm adds one, a second person verifies it, only then is money paid to it.

Redirecting a firm's payouts is an irreversible act, so no single person can do it: the account
a firm user (or an administrator) adds is pending; an official who did not add it verifies it
against the cancelled cheque or the bank's letter, and the holder's name must be the firm's
registered name unless the official says why it differs. The firm is e-mailed on every change.
Letters and payment advices take the account from `payout_account()`, which is verified.
"""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from beneficiaries.models import BankAccount, Firm, User
from repm_portal import audit, clock, pipeline
from repm_portal.roles import Role, has_role
from repm_portal.text import clean_reason, reason_problems
from repm_portal.uploads import JPEG, MB, PDF, PNG, checked_upload

BANK_PIPELINE: dict[str, set[str]] = {
    BankAccount.Status.PENDING: {BankAccount.Status.VERIFIED, BankAccount.Status.REJECTED},
}
VERIFIER_ROLES = (Role.OFFICIAL, Role.APPROVER)
EVIDENCE_TYPES = (PDF, PNG, JPEG)
EVIDENCE_MAX_BYTES = 10 * MB
# Words a bank may write either way in a holder's name.
_SAME = {"ltd": "limited", "pvt": "private", "co": "company", "corpn": "corporation"}


def normalised_name(name: str) -> str:
    """A name as compared: lower case, no punctuation, abbreviations spelt out, "the" dropped."""
    words = re.sub(r"[^0-9a-z]+", " ", name.casefold()).split()
    return " ".join(_SAME.get(w, w) for w in words if w != "the")


def holder_matches(account: BankAccount) -> bool:
    return normalised_name(account.account_holder) == normalised_name(account.firm.legal_name)


def payout_account(firm: Firm) -> BankAccount | None:
    """The firm's verified payout account, or None: never a pending or rejected one."""
    return firm.bank_accounts.filter(is_primary=True, status=BankAccount.Status.VERIFIED).first()


def _recipients(firm: Firm) -> list[str]:
    emails = {u.email for u in firm.users.filter(is_active=True) if u.email}
    if firm.signatory_email:
        emails.add(firm.signatory_email)
    return sorted(emails)


def notify_bank_change(account: BankAccount, what: str) -> None:
    """E-mail the firm's users and signatory, once the change is committed."""
    recipients = _recipients(account.firm)
    if not recipients:
        return
    # In the e-mails' language (the default: no user keeps a language preference), never the
    # language of the page the change was made from; `what` is marked with gettext_noop.
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("[REPM] Payout bank account %(what)s: %(account)s") % {
            "what": _(what),
            "account": account,
        }
        body = _(
            "The bank account %(account)s (holder: %(holder)s) of %(firm)s was %(what)s on the "
            "REPM Portal. If your firm did not ask for this, tell the Ministry of Heavy "
            "Industries at once: no incentive is paid to an account the ministry has not verified."
        ) % {
            "account": account,
            "holder": account.account_holder,
            "firm": account.firm.legal_name,
            "what": _(what),
        }
    transaction.on_commit(lambda: send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients))


def _require_firm_actor(actor: User, firm: Firm) -> None:
    if has_role(actor, Role.ADMIN):
        return
    if has_role(actor, Role.FIRM_USER) and actor.firm_id == firm.pk:
        return
    raise PermissionDenied(
        _("Only the firm's own users or an administrator may change its bank accounts.")
    )


def _check_evidence(upload: Any, errors: dict[str, list[str]]) -> dict[str, Any] | None:
    try:
        return checked_upload(
            upload,
            allowed=EVIDENCE_TYPES,
            max_bytes=EVIDENCE_MAX_BYTES,
            what="cancelled cheque or bank letter",
        )
    except ValidationError as exc:
        errors.setdefault("evidence", []).extend(exc.messages)
        return None


def _store_evidence(account: BankAccount, upload: Any, meta: dict[str, Any]) -> None:
    """Write the file only once every check has passed, so a refused request leaves none."""
    account.evidence_sha256 = meta["sha256"]
    account.evidence_name = meta["original_name"]
    account.evidence.save(f"{meta['sha256'][:16]}-{meta['original_name']}", upload, save=False)


@transaction.atomic
def add_bank_account(
    *, actor: User, firm: Firm, account_holder: str, account_number: str, ifsc: str,
    bank_name: str, branch: str, make_primary: bool = True, evidence: Any = None,
) -> BankAccount:  # fmt: skip
    """Record an account, pending a second person's verification; the payout one is unchanged."""
    from beneficiaries.services import _validate_bank

    _require_firm_actor(actor, firm)
    data: dict[str, Any] = {
        "account_holder": account_holder, "account_number": account_number, "ifsc": ifsc,
        "bank_name": bank_name, "branch": branch,
    }  # fmt: skip
    errors: dict[str, list[str]] = {}
    _validate_bank(data, errors)
    if BankAccount.objects.filter(
        firm=firm, ifsc=data["ifsc"], account_number=data["account_number"]
    ).exists():
        errors.setdefault("account_number", []).append(
            "This account is already recorded for the firm."
        )
    meta = _check_evidence(evidence, errors) if evidence is not None else None
    if errors:
        raise ValidationError(errors)
    Firm.objects.select_for_update().get(pk=firm.pk)
    account = BankAccount(firm=firm, created_by=actor, to_be_primary=make_primary, **data)
    if meta is not None:
        _store_evidence(account, evidence, meta)
    account.save()
    audit.record(actor=actor, action="bank_account.added", obj=account, new=audit.snapshot(account))
    notify_bank_change(account, gettext_noop("added (awaiting the ministry's verification)"))
    return account


def _require_verifier(actor: User, account: BankAccount) -> None:
    if not has_role(actor, *VERIFIER_ROLES):
        raise PermissionDenied(_("Only a ministry official verifies a payout account."))
    if account.created_by_id == actor.pk:
        raise PermissionDenied(
            _("The person who added an account cannot verify it; a second official must.")
        )


@transaction.atomic
def verify_bank_account(
    *, actor: User, account: BankAccount, note: str = "", evidence: Any = None
) -> BankAccount:
    """A second person verifies the account; if it was asked for, it becomes the payout one."""
    account = BankAccount.objects.select_for_update().select_related("firm").get(pk=account.pk)
    _require_verifier(actor, account)
    errors: dict[str, list[str]] = {}
    meta = None
    if evidence is None and not account.evidence:
        errors.setdefault("evidence", []).append(
            "Attach the cancelled cheque or bank letter the account was checked against."
        )
    elif evidence is not None:
        meta = _check_evidence(evidence, errors)
    if not holder_matches(account):
        problems = reason_problems(note, what="reason the holder's name differs")
        if problems:
            errors.setdefault("note", []).append(
                f"The holder's name ({account.account_holder}) is not the firm's registered "
                f"name ({account.firm.legal_name}); say why it may still be paid."
            )
            errors["note"].extend(problems)
    elif note.strip():
        errors.update(_note_errors(note))
    if errors:
        raise ValidationError(errors)
    if meta is not None:
        _store_evidence(account, evidence, meta)
    now = clock.now()
    promote = account.to_be_primary
    if promote:
        for old in BankAccount.objects.select_for_update().filter(
            firm=account.firm, is_primary=True
        ):
            old.is_primary = False
            old.save(update_fields=["is_primary"])
            audit.record(
                actor=actor, action="bank_account.demoted", obj=old,
                old={"is_primary": True}, new={"is_primary": False},
            )  # fmt: skip
    pipeline.transition(
        account,
        BankAccount.Status.VERIFIED,
        pipeline=BANK_PIPELINE,
        actor=actor,
        now=now,
        label=str(account),
        extra={
            "verified_by_id": actor.pk,
            "verified_at": now,
            "verification_note": note.strip(),
            "is_primary": promote,
            "evidence_sha256": account.evidence_sha256,
            "evidence_name": account.evidence_name,
            "evidence": account.evidence.name,
        },
        action="bank_account.verified",
    )
    notify_bank_change(
        account,
        gettext_noop("verified and now receives payouts") if promote else gettext_noop("verified"),
    )
    return account


def _note_errors(note: str) -> dict[str, list[str]]:
    problems = reason_problems(note, what="note")
    return {"note": problems} if problems else {}


@transaction.atomic
def reject_bank_account(*, actor: User, account: BankAccount, note: str) -> BankAccount:
    """An official rejects an account (with a reason); it never receives money."""
    account = BankAccount.objects.select_for_update().select_related("firm").get(pk=account.pk)
    _require_verifier(actor, account)
    reason = clean_reason(note, field="note", what="reason for rejecting it")
    now = clock.now()
    pipeline.transition(
        account,
        BankAccount.Status.REJECTED,
        pipeline=BANK_PIPELINE,
        actor=actor,
        now=now,
        label=str(account),
        extra={"verified_by_id": actor.pk, "verified_at": now, "verification_note": reason},
        reason=reason,
        action="bank_account.rejected",
    )
    notify_bank_change(account, gettext_noop("rejected"))
    return account


__all__ = [
    "BANK_PIPELINE",
    "add_bank_account",
    "holder_matches",
    "notify_bank_change",
    "payout_account",
    "reject_bank_account",
    "verify_bank_account",
]
