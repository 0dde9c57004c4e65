"""Opening keys: a member's own page for the key that unlocks their shares; a committee change."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters

from bidding import selectors, services, threshold
from bidding.forms import CommitteeForm, OpeningKeyForm
from bidding.models import CommitteeMember, MemberOpeningKey
from repm_portal.forms import attach_errors
from repm_portal.roles import require_role


@sensitive_post_parameters("current_passphrase", "passphrase", "passphrase_again")
@login_required
def opening_key(request):
    require_role(request.user, *services.COMMITTEE_ROLES, action="hold an opening key")
    key = MemberOpeningKey.objects.filter(user=request.user).first()
    form = OpeningKeyForm(request.POST if request.method == "POST" else None)
    if key is None:
        del form.fields["current_passphrase"]  # nothing to change yet
    if request.method == "POST" and form.is_valid():
        try:
            services.set_up_opening_key(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(
                request,
                _("Your opening key is set up. Keep your passphrase: no one can recover it.")
                if key is None
                else _("Your opening key is saved under the new passphrase."),
            )
            return redirect("opening_key")
    committees = (
        CommitteeMember.objects.filter(user=request.user)
        .select_related("tender")
        .order_by("-tender__created_at")
    )
    context = {
        "form": form,
        "key": key,
        "fingerprint": threshold.fingerprint(bytes(key.public_key)) if key else "",
        "committees": [c.tender for c in committees],
    }
    return render(request, "bidding/opening_key.html", context)


@login_required
def committee_change(request, tender_id: int):
    """Officials change a committee before the first bid; the tender's key is split afresh."""
    require_role(request.user, *services.TENDER_MANAGERS, action="change a bid-opening committee")
    tender = selectors.tender_for(request.user, tender_id)
    initial = {"committee": [m.pk for m in selectors.committee_of(tender)]}
    form = CommitteeForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.change_committee(
                actor=request.user,
                tender=tender,
                committee=list(form.cleaned_data["committee"]),
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(
                request, _("The committee is changed; the tender's key is split afresh.")
            )
            return redirect("tender_detail", tender_id=tender.pk)
    context = {
        "tender": tender,
        "form": form,
        "heading": _("Change the bid-opening committee"),
        "lead": _(
            "Only before the first bid: the tender gets a fresh key pair split among the new "
            "committee, and the old members' shares open nothing."
        ),
    }
    return render(request, "bidding/simple_form.html", context)
