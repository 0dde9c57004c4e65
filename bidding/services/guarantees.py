"""Performance bank guarantees: record, extend, release, invoke; expiry reminders and what an award still owes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from beneficiaries.models import User
from bidding.models import (
    Award,
    PbgExtension,
    PbgReminder,
    PerformanceBankGuarantee,
)
from bidding.services._common import TENDER_MANAGERS, _add_error, _mtpa
from repm_portal import audit, clock
from repm_portal.fiscal import add_months
from repm_portal.money import format_crore, format_inr, to_money
from repm_portal.pipeline import transition
from repm_portal.roles import AnyUser, Role, has_role, require_role
from repm_portal.text import clean_reason, reason_problems

PBG_REMINDER_DAYS = (90, 30, 7)

PBG_PIPELINE: dict[str, set[str]] = {
    PerformanceBankGuarantee.Status.ACTIVE: {
        PerformanceBankGuarantee.Status.SUPERSEDED,
        PerformanceBankGuarantee.Status.RELEASED,
        PerformanceBankGuarantee.Status.INVOKED,
    },
    PerformanceBankGuarantee.Status.SUPERSEDED: set(),
    PerformanceBankGuarantee.Status.RELEASED: set(),
    PerformanceBankGuarantee.Status.INVOKED: set(),
}


def can_record_pbg(actor: AnyUser, award: Award) -> bool:
    if has_role(actor, *TENDER_MANAGERS):
        return True
    return has_role(actor, Role.FIRM_USER) and actor.firm_id == award.bid.firm_id


@transaction.atomic
def record_pbg(
    *,
    actor: User,
    award: Award,
    amount: Decimal,
    bank_name: str,
    guarantee_number: str,
    issued_on: dt.date,
    valid_until: dt.date,
    now: dt.datetime | None = None,
) -> PerformanceBankGuarantee:
    """A winner records its performance bank guarantee; a replacement supersedes the active one."""
    if not can_record_pbg(actor, award):
        raise PermissionDenied(
            _("Only the winner or a ministry official may record this award's guarantee.")
        )
    award = Award.objects.select_for_update().select_related("bid").get(pk=award.pk)
    now = clock.now(now)
    errors: dict[str, list[str]] = {}
    amount = to_money(amount)
    if amount < award.pbg_amount_required:
        _add_error(
            errors,
            "amount",
            _(
                "The guarantee must be for at least %(amount)s "
                "(%(crore)s): %(per_100)s per 100 MTPA of the "
                "%(allocated_mtpa)s awarded."
            )
            % {
                "amount": format_inr(award.pbg_amount_required),
                "crore": format_crore(award.pbg_amount_required),
                "per_100": format_crore(award.rule_set.pbg_per_100_mtpa),
                "allocated_mtpa": _mtpa(award.allocated_mtpa),
            },
        )
    if valid_until < award.pbg_valid_until_required:
        _add_error(
            errors,
            "valid_until",
            _(
                "The guarantee must stay valid until at least "
                "%(date)s (award + term + "
                "%(months)s months)."
            )
            % {
                "date": format(award.pbg_valid_until_required, "%d %b %Y"),
                "months": award.rule_set.pbg_validity_extra_months,
            },
        )
    if issued_on > timezone.localdate(now):
        _add_error(errors, "issued_on", _("The issue date cannot be in the future."))
    if issued_on < timezone.localdate(award.awarded_at):
        _add_error(errors, "issued_on", _("The guarantee must be issued on or after the award."))
    if not bank_name.strip():
        _add_error(errors, "bank_name", _("Name the issuing bank."))
    if not guarantee_number.strip():
        _add_error(errors, "guarantee_number", _("Give the guarantee's number."))
    elif PerformanceBankGuarantee.objects.filter(
        bank_name__iexact=bank_name.strip(), guarantee_number__iexact=guarantee_number.strip()
    ).exists():
        _add_error(
            errors, "guarantee_number", _("This bank's guarantee number is already recorded.")
        )
    if errors:
        raise ValidationError(errors)
    previous = list(
        PerformanceBankGuarantee.objects.select_for_update().filter(
            award=award, status=PerformanceBankGuarantee.Status.ACTIVE
        )
    )
    for old in previous:
        transition(
            old, PerformanceBankGuarantee.Status.SUPERSEDED, pipeline=PBG_PIPELINE, actor=actor,
            now=now, label=f"Guarantee {old.guarantee_number}", action="pbg.superseded",
        )  # fmt: skip
    guarantee = PerformanceBankGuarantee.objects.create(
        award=award, amount=amount, bank_name=bank_name.strip(), guarantee_number=guarantee_number.strip(),
        issued_on=issued_on, valid_until=valid_until, recorded_by=actor, recorded_at=now,
    )  # fmt: skip
    audit.record(
        actor=actor,
        action="pbg.recorded",
        obj=guarantee,
        new=audit.snapshot(
            guarantee,
            ["award_id", "amount", "bank_name", "guarantee_number", "issued_on", "valid_until"],
        ),
    )
    return guarantee


# Performance bank guarantees: what the award still owes, extension, release, invocation, reminders

# Other phases (gestation, the ledger) register checks that say what an award still owes, so
# bidding never imports them: each takes (award, today) and returns a sentence, or "" if clear.
_OBLIGATION_CHECKS: list[Callable[[Award, dt.date], str]] = []


def register_obligation_check(check: Callable[[Award, dt.date], str]) -> None:
    if check not in _OBLIGATION_CHECKS:
        _OBLIGATION_CHECKS.append(check)


def obligations_end_on(award: Award) -> dt.date:
    """The end of the scheme term the guarantee secures: award + gestation + SLI months."""
    rules = award.rule_set
    return add_months(
        timezone.localdate(award.awarded_at), rules.gestation_months + rules.sli_months
    )


def open_obligations(award: Award, today: dt.date) -> list[str]:
    """What the award still owes on `today`; an empty list means the guarantee may be released."""
    owed = []
    term_end = obligations_end_on(award)
    if today <= term_end:
        owed.append(
            _("The scheme term runs until %(term_end)s.")
            % {"term_end": format(term_end, "%d %b %Y")}
        )
    owed.extend(message for check in _OBLIGATION_CHECKS if (message := check(award, today)))
    return owed


def _lock_active_guarantee(guarantee: PerformanceBankGuarantee) -> PerformanceBankGuarantee:
    locked = (
        PerformanceBankGuarantee.objects.select_for_update(of=("self",))
        .select_related("award__rule_set", "award__bid", "award__tender")
        .get(pk=guarantee.pk)
    )
    if locked.status != PerformanceBankGuarantee.Status.ACTIVE:
        raise ValidationError(
            _("Guarantee %(guarantee_number)s is %(status)s; only the active guarantee can change.")
            % {
                "guarantee_number": locked.guarantee_number,
                "status": _(locked.get_status_display()).lower(),
            }
        )
    return locked


@transaction.atomic
def extend_pbg(
    *,
    actor: User,
    guarantee: PerformanceBankGuarantee,
    valid_until: dt.date | None,
    amendment_reference: str,
    now: dt.datetime | None = None,
) -> PbgExtension:
    """Record the bank's extension of the active guarantee: a later expiry, the old one kept."""
    if not can_record_pbg(actor, guarantee.award):
        raise PermissionDenied(
            _("Only the winner or a ministry official may record this award's guarantee.")
        )
    guarantee = _lock_active_guarantee(guarantee)
    now = clock.now(now)
    errors: dict[str, list[str]] = {}
    if valid_until is None or valid_until <= guarantee.valid_until:
        _add_error(
            errors,
            "valid_until",
            _("The new expiry must be later than the current one, %(valid_until)s.")
            % {"valid_until": format(guarantee.valid_until, "%d %b %Y")},
        )
    if not amendment_reference.strip():
        _add_error(errors, "amendment_reference", _("Give the reference of the bank's amendment."))
    if errors or valid_until is None:  # a missing date is among the errors
        raise ValidationError(errors)
    extension = PbgExtension.objects.create(
        guarantee=guarantee, previous_valid_until=guarantee.valid_until, valid_until=valid_until,
        amendment_reference=amendment_reference.strip(), extended_by=actor, extended_at=now,
    )  # fmt: skip
    old = guarantee.valid_until
    guarantee.valid_until = valid_until
    guarantee.save(update_fields=["valid_until"])
    audit.record(
        actor=actor,
        action="pbg.extended",
        obj=guarantee,
        old={"valid_until": old},
        new={
            "valid_until": valid_until,
            "amendment_reference": extension.amendment_reference,
            "extension_id": extension.pk,
        },
    )
    return extension


def _second_person(actor: User, proposed_by: User | None, what: str) -> None:
    if proposed_by is None or proposed_by.pk == actor.pk:
        raise PermissionDenied(
            _(
                "A guarantee is %(what)s only on a second official's confirmation of "
                "another's proposal."
            )
            % {"what": what}
        )


def _release_checks(guarantee: PerformanceBankGuarantee, reason: str, today: dt.date) -> str:
    reason = clean_reason(reason, what="reason the guarantee is released")
    owed = open_obligations(guarantee.award, today)
    if owed:
        raise ValidationError(
            _("The guarantee cannot be released while the award still owes: ") + " ".join(owed)
        )
    return reason


def _invoke_checks(
    guarantee: PerformanceBankGuarantee, amount: Decimal | None, reason: str
) -> tuple[Decimal, str]:
    errors: dict[str, list[str]] = {}
    amount = to_money(amount) if amount is not None else None
    if amount is None or amount <= 0:
        _add_error(errors, "amount", _("Give the amount invoked."))
    elif amount > guarantee.amount:
        _add_error(
            errors,
            "amount",
            _("At most the guarantee's %(amount)s can be invoked.")
            % {"amount": format_inr(guarantee.amount)},
        )
    for problem in reason_problems(reason, what="reason the guarantee is invoked"):
        _add_error(errors, "reason", problem)
    if errors or amount is None:
        raise ValidationError(errors)
    return amount, reason.strip()


@transaction.atomic
def release_pbg(
    *,
    actor: User,
    guarantee: PerformanceBankGuarantee,
    reason: str,
    proposed_by: User | None,
    now: dt.datetime | None = None,
) -> PerformanceBankGuarantee:
    """Release the guarantee to the bank, once the award owes nothing more.

    Called on a second official's confirmation (`actor`) of what `proposed_by` proposed; see
    bidding.services.guarantee_closures.
    """
    require_role(actor, *TENDER_MANAGERS, action="release a performance bank guarantee")
    _second_person(actor, proposed_by, pgettext("a guarantee is ...", "released"))
    guarantee = _lock_active_guarantee(guarantee)
    now = clock.now(now)
    reason = _release_checks(guarantee, reason, timezone.localdate(now))
    transition(
        guarantee, PerformanceBankGuarantee.Status.RELEASED, pipeline=PBG_PIPELINE, actor=actor,
        now=now, label=f"Guarantee {guarantee.guarantee_number}", reason=reason,
        extra={"closed_by_id": actor.pk, "closed_at": now, "closing_reason": reason},
        audit_new={"proposed_by_id": proposed_by.pk if proposed_by else None},
    )  # fmt: skip
    return guarantee


@transaction.atomic
def invoke_pbg(
    *,
    actor: User,
    guarantee: PerformanceBankGuarantee,
    amount: Decimal | None,
    reason: str,
    proposed_by: User | None,
    now: dt.datetime | None = None,
) -> PerformanceBankGuarantee:
    """Invoke the guarantee (in full or in part), with the reason on record.

    `actor` confirms what `proposed_by` (another official) proposed: a guarantee closure or a
    recovery that asks for invocation.
    """
    require_role(actor, *TENDER_MANAGERS, action="invoke a performance bank guarantee")
    _second_person(actor, proposed_by, pgettext("a guarantee is ...", "invoked"))
    guarantee = _lock_active_guarantee(guarantee)
    now = clock.now(now)
    amount, reason = _invoke_checks(guarantee, amount, reason)
    transition(
        guarantee, PerformanceBankGuarantee.Status.INVOKED, pipeline=PBG_PIPELINE, actor=actor,
        now=now, label=f"Guarantee {guarantee.guarantee_number}", reason=reason,
        extra={"closed_by_id": actor.pk, "closed_at": now, "closing_reason": reason,
               "invoked_amount": amount},
        audit_new={"proposed_by_id": proposed_by.pk if proposed_by else None},
    )  # fmt: skip
    return guarantee


def _pbg_recipients(guarantee: PerformanceBankGuarantee, officials: list[str]) -> list[str]:
    firm = guarantee.award.bid.firm
    return sorted(
        {
            *firm.users.filter(is_active=True).exclude(email="").values_list("email", flat=True),
            *officials,
        }
    )


def _official_emails() -> list[str]:
    return list(
        User.objects.filter(role__in=TENDER_MANAGERS, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )


def _note_once(
    guarantee: PerformanceBankGuarantee, days_before: int, now: dt.datetime, new: dict[str, Any]
) -> bool:
    """Record one reminder for the guarantee's current expiry; False if it was sent before."""
    earlier = PbgReminder.objects.filter(guarantee=guarantee, days_before=days_before).filter(
        Q(valid_until=guarantee.valid_until)
        | Q(valid_until__isnull=True, guarantee__extensions__isnull=True)
    )
    if earlier.exists():
        return False
    try:
        with transaction.atomic():
            PbgReminder.objects.create(
                guarantee=guarantee,
                days_before=days_before,
                valid_until=guarantee.valid_until,
                sent_at=now,
            )
            audit.record(
                actor=None,
                action="pbg.expiry_reminder" if days_before else "pbg.expired_with_obligations",
                obj=guarantee,
                new=new,
            )
    except IntegrityError:
        return False  # a concurrent run sent it
    return True


def send_pbg_expiry_reminders(*, now: dt.datetime | None = None) -> int:
    """Remind winners and officials as an active guarantee nears expiry (90, 30, 7 days); once each
    per expiry date, so an extended guarantee is reminded again before its new expiry."""
    now = clock.now(now)
    today = timezone.localdate(now)
    horizon = today + dt.timedelta(days=max(PBG_REMINDER_DAYS))
    sent = 0
    guarantees = (
        PerformanceBankGuarantee.objects.filter(
            status=PerformanceBankGuarantee.Status.ACTIVE,
            valid_until__lte=horizon,
            valid_until__gte=today,
        )
        .select_related("award__tender", "award__bid__firm")
        .order_by("pk")
    )
    officials = _official_emails()
    for guarantee in guarantees.iterator(chunk_size=200):
        days_left = (guarantee.valid_until - today).days
        due = [d for d in PBG_REMINDER_DAYS if days_left <= d]
        if not due:
            continue
        threshold = min(due)
        new = {
            "days_before": threshold,
            "days_left": days_left,
            "valid_until": guarantee.valid_until,
        }
        if not _note_once(guarantee, threshold, now, new):
            continue
        recipients = _pbg_recipients(guarantee, officials)
        if recipients:
            with translation.override(settings.LANGUAGE_CODE):  # the e-mails' language
                send_mail(
                    _("[REPM] Performance bank guarantee %(number)s expires in %(days)s days")
                    % {"number": guarantee.guarantee_number, "days": days_left},
                    _(
                        "The performance bank guarantee %(number)s of %(bank)s for %(firm)s "
                        "(%(tender)s, %(award)s) expires on %(date)s. Renew or extend it before "
                        "then; an expired guarantee leaves the award unsecured."
                    )
                    % _mail_fields(guarantee),
                    None,
                    recipients,
                )
        sent += 1
    return sent


def _mail_fields(guarantee: PerformanceBankGuarantee) -> dict[str, object]:
    """What the guarantee reminders and expiry notices name, for their %(...)s placeholders."""
    return {
        "number": guarantee.guarantee_number,
        "bank": guarantee.bank_name,
        "firm": guarantee.award.bid.firm.legal_name,
        "tender": guarantee.award.tender.reference,
        "award": guarantee.award.label,
        "date": f"{guarantee.valid_until:%d %b %Y}",
    }


def expired_guarantees_with_obligations(
    *,
    now: dt.datetime | None = None,
    among: Iterable[PerformanceBankGuarantee] | None = None,
) -> list[tuple[PerformanceBankGuarantee, list[str]]]:
    """Active guarantees past their expiry while their award still owes something.

    `among`, when given, are active guarantees already read (with their awards' rule sets, by
    expiry): those past expiry are taken from them instead of read again.
    """
    today = timezone.localdate(clock.now(now))
    if among is None:
        expired: Iterable[PerformanceBankGuarantee] = (
            PerformanceBankGuarantee.objects.filter(
                status=PerformanceBankGuarantee.Status.ACTIVE, valid_until__lt=today
            )
            .select_related("award__tender", "award__bid__firm", "award__rule_set")
            .order_by("valid_until", "pk")
        )
    else:
        expired = [g for g in among if g.valid_until < today]
    flagged = []
    for guarantee in expired:
        owed = open_obligations(guarantee.award, today)
        if owed:
            flagged.append((guarantee, owed))
    return flagged


def flag_expired_guarantees(*, now: dt.datetime | None = None) -> int:
    """The daily job: tell the firm and officials, once per expiry, of each expired guarantee whose
    award still owes something; the dashboards show the same list."""
    now = clock.now(now)
    officials = _official_emails()
    flagged = 0
    # The obligations are stored with the note (the audit trail): in English, whoever runs it.
    with translation.override(settings.LANGUAGE_CODE):
        expired = expired_guarantees_with_obligations(now=now)
    for guarantee, owed in expired:
        new = {"valid_until": guarantee.valid_until, "obligations": owed}
        if not _note_once(guarantee, 0, now, new):
            continue
        recipients = _pbg_recipients(guarantee, officials)
        if recipients:
            with translation.override(settings.LANGUAGE_CODE):  # the e-mails' language
                send_mail(
                    _("[REPM] Performance bank guarantee %(number)s has expired")
                    % {"number": guarantee.guarantee_number},
                    _(
                        "The performance bank guarantee %(number)s of %(bank)s for %(firm)s "
                        "(%(tender)s, %(award)s) expired on %(date)s, while the award still "
                        "owes: %(owed)s Extend it or record a replacement now."
                    )
                    % (_mail_fields(guarantee) | {"owed": " ".join(owed)}),
                    None,
                    recipients,
                )
        flagged += 1
    return flagged
