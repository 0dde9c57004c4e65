"""Consortia by consent: the lead proposes, every partner's own user accepts or declines.

A consortium may bid only once it is formed, that is once every partner has accepted. The
lead names partners by identifier and is told the same thing whether an identifier belongs to
a registered firm or not, so the form cannot be used to find out which firms are registered.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from beneficiaries.models import Consortium, ConsortiumMember, Firm, User
from repm_portal import audit, clock, pipeline
from repm_portal.roles import Role, has_role
from repm_portal.selectors import rule_set_in_force

CONSORTIUM_PIPELINE: dict[str, set[str]] = {
    Consortium.Status.PROPOSED: {
        Consortium.Status.FORMED,
        Consortium.Status.DECLINED,
        Consortium.Status.WITHDRAWN,
    },
}
MEMBER_PIPELINE: dict[str, set[str]] = {
    ConsortiumMember.Status.PENDING: {
        ConsortiumMember.Status.ACCEPTED,
        ConsortiumMember.Status.DECLINED,
    },
}


@dataclass(frozen=True)
class Partner:
    """A partner as the lead names it: a firm already known, or the identifier the lead typed."""

    firm: Firm | None
    identifier: str


def _normalise(identifier: str) -> str:
    return identifier.replace(" ", "").strip().upper()


def _share(label: str, raw: Decimal | str, errors: dict[str, list[str]]) -> Decimal | None:
    try:
        share = Decimal(str(raw).strip())
    except InvalidOperation:
        errors.setdefault("members", []).append(f"{label}: share '{raw}' is not a number.")
        return None
    exponent = share.as_tuple().exponent  # a letter for NaN and infinity
    if not isinstance(exponent, int) or exponent < -2:
        errors.setdefault("members", []).append(
            f"{label}: share '{raw}' must be a number with at most two decimal places."
        )
        return None
    if not Decimal(0) < share <= Decimal(100):
        errors.setdefault("members", []).append(
            f"{label}: share must be above 0 and at most 100 %."
        )
    return share


def _partner(member: Firm | str) -> Partner:
    if isinstance(member, Firm):
        return Partner(firm=member, identifier="")
    from beneficiaries.selectors import firm_by_identifier

    ident = _normalise(member)
    return Partner(firm=firm_by_identifier(ident), identifier=ident)


def _require_lead_user(actor: User, lead: Firm) -> None:
    if has_role(actor, Role.FIRM_USER) and actor.firm_id == lead.pk:
        return
    raise PermissionDenied(_("A consortium is proposed by a user of the firm that leads it."))


@transaction.atomic
def form_consortium(
    *, actor: User, name: str, lead: Firm, members: list[tuple[Firm | str, Decimal | str]]
) -> Consortium:
    """The lead proposes a consortium; shares add to 100 % and the lead holds the minimum.

    `members` names the lead (a Firm) and each partner by Firm or by the identifier typed. The
    lead's own place is accepted at once; each partner's waits for a user of that firm.
    """
    _require_lead_user(actor, lead)
    rules = rule_set_in_force(on=clock.today())
    errors: dict[str, list[str]] = {}
    rows: list[tuple[Partner, Decimal]] = []
    seen: set[str] = set()
    for raw_member, raw_share in members:
        partner = _partner(raw_member)
        label = partner.identifier or str(partner.firm)
        key = f"firm:{partner.firm.pk}" if partner.firm else f"id:{partner.identifier}"
        if not partner.identifier and partner.firm is None:
            errors.setdefault("members", []).append("A partner has no identifier.")
            continue
        share = _share(label, raw_share, errors)
        if share is None:
            continue
        if key in seen:
            errors.setdefault("members", []).append(f"{label} is listed twice.")
        seen.add(key)
        rows.append((partner, share))
    if not name.strip():
        errors.setdefault("name", []).append("Name the consortium.")
    if len(rows) < 2:
        errors.setdefault("members", []).append("A consortium needs at least two member firms.")
    total = sum((share for _, share in rows), Decimal(0))
    if rows and total != 100:
        errors.setdefault("members", []).append(f"Equity shares add up to {total} %, not 100 %.")
    lead_share = next((share for p, share in rows if p.firm and p.firm.pk == lead.pk), None)
    minimum = rules.consortium_lead_min_pct.normalize()
    if lead_share is None:
        errors.setdefault("lead", []).append("The lead must be one of the members.")
    elif lead_share < rules.consortium_lead_min_pct:
        errors.setdefault("lead", []).append(
            f"The lead ({lead}) holds {lead_share} %; it must hold at least {minimum} % "
            f"(rule set v{rules.version})."
        )
    if errors:
        raise ValidationError(errors)
    now = clock.now()
    consortium = Consortium.objects.create(name=name.strip(), lead=lead, created_by=actor)
    ConsortiumMember.objects.bulk_create(
        ConsortiumMember(
            consortium=consortium,
            firm=partner.firm,
            invited_identifier=partner.identifier,
            equity_pct=share,
            status=(
                ConsortiumMember.Status.ACCEPTED
                if partner.firm and partner.firm.pk == lead.pk
                else ConsortiumMember.Status.PENDING
            ),
            responded_by=actor if partner.firm and partner.firm.pk == lead.pk else None,
            responded_at=now if partner.firm and partner.firm.pk == lead.pk else None,
        )
        for partner, share in rows
    )
    audit.record(
        actor=actor,
        action="consortium.proposed",
        obj=consortium,
        new={
            "name": consortium.name,
            "lead_id": lead.pk,
            "status": consortium.status,
            "members": {(p.identifier or str(p.firm)): str(share) for p, share in rows},
            "rule_set_version": rules.version,
        },
    )
    _invite(consortium, [p.firm for p, _ in rows if p.firm and p.firm.pk != lead.pk])
    return consortium


def _invite(consortium: Consortium, firms: list[Firm]) -> None:
    """E-mail each invited firm's users once the proposal is committed."""
    recipients = sorted({u.email for f in firms for u in f.users.filter(is_active=True) if u.email})
    if not recipients:
        return
    # In the e-mails' language (the default: no user keeps a language preference), never the
    # language of the page the lead proposed from.
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("[REPM] %(lead)s invites your firm to a consortium") % {
            "lead": consortium.lead.legal_name
        }
        body = _(
            '%(lead)s proposes the consortium "%(name)s" with your firm as a partner. It cannot '
            "bid until every partner accepts. Sign in to the REPM Portal and open Consortia to "
            "accept or decline; if your firm did not agree to this, decline it."
        ) % {"lead": consortium.lead.legal_name, "name": consortium.name}
    transaction.on_commit(lambda: send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients))


def _member_for(actor: User, consortium: Consortium) -> ConsortiumMember:
    if not has_role(actor, Role.FIRM_USER) or actor.firm_id is None:
        raise PermissionDenied(_("Only a user of the partner firm may answer for it."))
    member = (
        ConsortiumMember.objects.select_for_update()
        .filter(consortium=consortium, firm_id=actor.firm_id)
        .first()
    )
    if member is None:
        raise PermissionDenied(_("Your firm is not a partner in this consortium."))
    return member


@transaction.atomic
def respond(*, actor: User, consortium: Consortium, accept: bool) -> Consortium:
    """A partner's user accepts or declines its place; the last acceptance forms the consortium."""
    consortium = Consortium.objects.select_for_update().get(pk=consortium.pk)
    member = _member_for(actor, consortium)
    if consortium.status != Consortium.Status.PROPOSED:
        raise ValidationError(
            _("%(name)s is %(status)s; it no longer waits for an answer.")
            % {"name": consortium.name, "status": _(consortium.get_status_display()).lower()}
        )
    if member.status != ConsortiumMember.Status.PENDING:
        raise ValidationError(
            _("Your firm has already %(status)s.")
            % {"status": _(member.get_status_display()).lower()}
        )
    now = clock.now()
    to = ConsortiumMember.Status.ACCEPTED if accept else ConsortiumMember.Status.DECLINED
    pipeline.transition(
        member,
        to,
        pipeline=MEMBER_PIPELINE,
        actor=actor,
        now=now,
        label=f"{actor.firm}'s place in {consortium.name}",
        extra={"responded_by_id": actor.pk, "responded_at": now},
        action=f"consortium_member.{to}",
    )
    if not accept:
        pipeline.transition(
            consortium,
            Consortium.Status.DECLINED,
            pipeline=CONSORTIUM_PIPELINE,
            actor=actor,
            now=now,
            label=consortium.name,
            reason=f"Declined by {actor.firm}",
        )
    elif not consortium.members.exclude(status=ConsortiumMember.Status.ACCEPTED).exists():
        pipeline.transition(
            consortium,
            Consortium.Status.FORMED,
            pipeline=CONSORTIUM_PIPELINE,
            actor=actor,
            now=now,
            label=consortium.name,
        )
    return consortium


@transaction.atomic
def withdraw(*, actor: User, consortium: Consortium) -> Consortium:
    """The lead withdraws a proposal no partner has completed (a formed consortium stays)."""
    consortium = Consortium.objects.select_for_update().get(pk=consortium.pk)
    _require_lead_user(actor, consortium.lead)
    pipeline.transition(
        consortium,
        Consortium.Status.WITHDRAWN,
        pipeline=CONSORTIUM_PIPELINE,
        actor=actor,
        now=clock.now(),
        label=consortium.name,
    )
    return consortium
