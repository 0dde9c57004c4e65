"""Pages of a performance bank guarantee: record, extend, release or invoke it."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from bidding import selectors, services
from bidding.forms import PbgExtendForm, PbgForm, PbgInvokeForm, PbgReleaseForm
from repm_portal.forms import attach_errors
from repm_portal.money import format_crore, format_inr
from repm_portal.roles import require_role


@login_required
def pbg_form(request, award_id: int):
    award = selectors.award_for(request.user, award_id)
    initial = {"amount": award.pbg_amount_required, "valid_until": award.pbg_valid_until_required}
    form = PbgForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            data = form.cleaned_data
            services.record_pbg(
                actor=request.user,
                award=award,
                amount=data["amount"],
                bank_name=data["bank_name"],
                guarantee_number=data["guarantee_number"],
                issued_on=data["issued_on"],
                valid_until=data["valid_until"],
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, _("Performance bank guarantee recorded."))
            return redirect("award_detail", award_id=award.pk)
    return render(request, "bidding/simple_form.html", {
        "form": form, "tender": award.tender, "heading": _("Performance bank guarantee for %(award)s") % {"award": award.label},
        "lead": _("At least Rs %(amount)s valid until %(date)s (rule set v%(version)s).") % {"amount": f"{award.pbg_amount_required:,}", "date": f"{award.pbg_valid_until_required:%d %b %Y}", "version": award.rule_set.version},
    })  # fmt: skip


def _active_guarantee(request, award_id: int):
    award = selectors.award_for(request.user, award_id)
    guarantee = award.guarantees.filter(status="active").first()
    if guarantee is None:
        raise Http404("This award has no active guarantee")
    return award, guarantee


@login_required
def pbg_extend(request, award_id: int):
    award, guarantee = _active_guarantee(request, award_id)
    if not services.can_record_pbg(request.user, award):
        raise PermissionDenied(
            "Only the winner or a ministry official may record this award's guarantee."
        )
    form = PbgExtendForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.extend_pbg(
                actor=request.user,
                guarantee=guarantee,
                valid_until=form.cleaned_data["valid_until"],
                amendment_reference=form.cleaned_data["amendment_reference"],
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(
                request,
                _("Guarantee %(number)s extended.") % {"number": guarantee.guarantee_number},
            )
            return redirect("award_detail", award_id=award.pk)
    return render(request, "bidding/simple_form.html", {
        "form": form, "tender": award.tender, "heading": _("Extend guarantee %(number)s") % {"number": guarantee.guarantee_number},
        "lead": _("Valid until %(date)s; the earlier expiry is kept in the guarantee's history.") % {"date": f"{guarantee.valid_until:%d %b %Y}"},
    })  # fmt: skip


@login_required
def pbg_release(request, award_id: int):
    """Propose releasing the guarantee; a second official confirms it."""
    require_role(
        request.user, *services.TENDER_MANAGERS, action="release a performance bank guarantee"
    )
    award, guarantee = _active_guarantee(request, award_id)
    form = PbgReleaseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.propose_pbg_closure(
                actor=request.user,
                guarantee=guarantee,
                action="release",
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(
                request,
                _("Release of guarantee %(number)s proposed; a second official confirms it.")
                % {"number": guarantee.guarantee_number},
            )
            return redirect("award_detail", award_id=award.pk)
    return render(request, "bidding/simple_form.html", {
        "form": form, "tender": award.tender, "heading": _("Propose releasing guarantee %(number)s") % {"number": guarantee.guarantee_number},
        "lead": _("A guarantee is released once the award owes nothing more: the scheme term is over and the plant commissioned. A second official confirms the release."),
    })  # fmt: skip


@login_required
def pbg_invoke(request, award_id: int):
    """Propose invoking the guarantee; a second official confirms it."""
    require_role(
        request.user, *services.TENDER_MANAGERS, action="invoke a performance bank guarantee"
    )
    award, guarantee = _active_guarantee(request, award_id)
    form = PbgInvokeForm(request.POST or None, initial={"amount": guarantee.amount})
    if request.method == "POST" and form.is_valid():
        try:
            services.propose_pbg_closure(
                actor=request.user,
                guarantee=guarantee,
                action="invoke",
                amount=form.cleaned_data["amount"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(
                request,
                _("Invocation of guarantee %(number)s proposed; a second official confirms it.")
                % {"number": guarantee.guarantee_number},
            )
            return redirect("award_detail", award_id=award.pk)
    return render(request, "bidding/simple_form.html", {
        "form": form, "tender": award.tender, "heading": _("Propose invoking guarantee %(number)s") % {"number": guarantee.guarantee_number},
        "lead": _("%(bank)s, for %(amount)s (%(crore)s). Nothing happens until a second official confirms; the reason goes on record.") % {"bank": guarantee.bank_name, "amount": format_inr(guarantee.amount), "crore": format_crore(guarantee.amount)},
    })  # fmt: skip


def _closure(request, award_id: int, closure_id: int):
    require_role(request.user, *services.TENDER_MANAGERS, action="decide on a guarantee proposal")
    award, guarantee = _active_guarantee(request, award_id)
    closure = guarantee.closures.filter(pk=closure_id).first()
    if closure is None:
        raise Http404("No such proposal.")
    return award, closure


@login_required
@require_POST
def pbg_closure_confirm(request, award_id: int, closure_id: int):
    award, closure = _closure(request, award_id, closure_id)
    try:
        services.confirm_pbg_closure(actor=request.user, closure=closure)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    else:
        messages.success(
            request,
            _("Confirmed: released.") if closure.action == "release" else _("Confirmed: invoked."),
        )
    return redirect("award_detail", award_id=award.pk)


@login_required
@require_POST
def pbg_closure_cancel(request, award_id: int, closure_id: int):
    award, closure = _closure(request, award_id, closure_id)
    try:
        services.cancel_pbg_closure(
            actor=request.user, closure=closure, note=request.POST.get("note", "")
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The proposal is cancelled; the guarantee stays active."))
    return redirect("award_detail", award_id=award.pk)
