"""Pages of recoveries: parse the request, call a service or selector, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from incentives.recovery import selectors, services
from incentives.recovery.forms import ProposeForm, RepaymentForm, WithdrawForm
from incentives.recovery.models import Recovery
from repm_portal.forms import attach_errors, flash_errors
from repm_portal.roles import Role, has_role


def _recovery(request: HttpRequest, recovery_id: int) -> Recovery:
    recovery = selectors.recovery_for(request.user, recovery_id)
    if recovery is None:
        raise Http404("No such recovery, or it is not yours to see.")
    return recovery


@login_required
def recovery_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not has_role(user, Role.FIRM_USER, *selectors.READERS):
        raise PermissionDenied(_("Recoveries are for the firm concerned, officials and auditors."))
    recoveries = selectors.recoveries_visible_to(user)
    status = request.GET.get("status", "")
    if status in Recovery.Status.values:
        recoveries = recoveries.filter(status=status)
    awards = list(selectors.awards_for_recovery(user))
    form = None
    if has_role(user, *selectors.OFFICERS):
        form = ProposeForm(
            request.POST or None, awards=awards, initial={"as_of": timezone.localdate()}
        )
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            award = selectors.award_for_recovery(user, data["award"])
            if award is None:
                raise Http404("No such award, or it has a recovery already.")
            try:
                recovery = services.propose_recovery(
                    actor=user,
                    award=award,
                    grounds=data["grounds"],
                    reason=data["reason"],
                    pools=data["pools"],
                    as_of=data["as_of"],
                    invoke_guarantee=data["invoke_guarantee"],
                )
            except ValidationError as exc:
                attach_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("Recovery %(pk)s is proposed; a second official must confirm it.")
                    % {"pk": recovery.pk},
                )
                return redirect("recovery_detail", recovery_id=recovery.pk)
    elif request.method == "POST":
        raise PermissionDenied(_("Only a ministry official may propose a recovery."))
    context = {
        "recoveries": list(recoveries[:200]),
        "statuses": Recovery.Status.choices,
        "status": status,
        "form": form,
        "awards": awards,
    }
    return render(
        request, "recovery/recovery_list.html", context, status=400 if form and form.errors else 200
    )


@login_required
def recovery_detail(request: HttpRequest, recovery_id: int) -> HttpResponse:
    recovery = _recovery(request, recovery_id)
    position = selectors.position(recovery)
    context = {
        "recovery": recovery,
        "award": recovery.award,
        "lines": recovery.working.get("lines", []),
        "position": position,
        "entries": list(selectors.entries_of(recovery)),
        "repayments": list(selectors.repayments_of(recovery)),
        "guarantee": recovery.guarantee or selectors.active_guarantee(recovery.award),
        "can": services.can_act(request.user, recovery),
        "withdraw_form": WithdrawForm(),
        "repayment_form": RepaymentForm(
            initial={"amount": position.outstanding if position else None,
                     "paid_on": timezone.localdate()}
        ),
    }  # fmt: skip
    return render(request, "recovery/recovery_detail.html", context)


@login_required
@require_POST
def recovery_action(request: HttpRequest, recovery_id: int, action: str) -> HttpResponse:
    recovery = _recovery(request, recovery_id)
    user = request.user
    if action not in ("confirm", "withdraw", "repay"):
        raise Http404("No such action.")
    if not has_role(user, *selectors.OFFICERS):
        raise PermissionDenied(_("Only a ministry official acts on a recovery."))
    try:
        if action == "confirm":
            services.confirm_recovery(actor=user, recovery=recovery)
            messages.success(
                request,
                _("Recovery %(pk)s is confirmed and posted to the ledger.") % {"pk": recovery.pk},
            )
        elif action == "withdraw":
            services.withdraw_recovery(
                actor=user, recovery=recovery, reason=request.POST.get("reason", "")
            )
            messages.success(request, _("Recovery %(pk)s is withdrawn.") % {"pk": recovery.pk})
        else:
            form = RepaymentForm(request.POST)
            if not form.is_valid():
                for messages_of_field in form.errors.values():
                    for message in messages_of_field:
                        messages.error(request, str(message))
                return redirect("recovery_detail", recovery_id=recovery.pk)
            repayment = services.record_repayment(
                actor=user,
                recovery=recovery,
                amount=form.cleaned_data["amount"],
                paid_on=form.cleaned_data["paid_on"],
                utr=form.cleaned_data["utr"],
            )
            messages.success(request, _("Repayment %(utr)s recorded.") % {"utr": repayment.utr})
    except ValidationError as exc:
        flash_errors(request, exc)
    return redirect("recovery_detail", recovery_id=recovery.pk)
