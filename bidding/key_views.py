"""A committee member's own page: set up, change or replace the key that unlocks their shares."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters

from bidding import services, threshold
from bidding.forms import OpeningKeyForm
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
