"""Pages of gestation: parse the request, call a service or selector, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from incentives.gestation import selectors, services
from incentives.gestation.forms import (
    OpenGestationForm,
    ReasonForm,
    RemarksForm,
    SubmitMilestoneForm,
)
from incentives.gestation.models import Milestone
from repm_portal.forms import attach_errors, flash_errors
from repm_portal.roles import Role, has_role, require_role


@login_required
def timeline(request):
    now = timezone.now()
    can_open = has_role(request.user, *services.GESTATION_OPENERS)
    return render(request, "gestation/timeline.html", {
        "rows": selectors.timeline(request.user, now=now),
        "today": timezone.localdate(now),
        "can_open": can_open,
        "without_plant": list(selectors.awards_without_plant()) if can_open else [],
    })  # fmt: skip


@login_required
def open_gestation(request):
    require_role(request.user, *services.GESTATION_OPENERS, action="open an award's gestation")
    form = OpenGestationForm(
        request.POST or None,
        awards=selectors.awards_without_plant(),
        initial={"award": request.GET.get("award")},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            plant = services.open_gestation(
                actor=request.user, award=data["award"], name=data["name"],
                site_address=data["site_address"], state=data["state"],
            )  # fmt: skip
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(
                request,
                _("Gestation opened: it ends on %(date)s.")
                % {"date": f"{plant.gestation_ends_on:%d %b %Y}"},
            )
            return redirect("plant_detail", plant_id=plant.pk)
    return render(request, "gestation/form.html", {
        "form": form, "heading": _("Open an award's gestation"),
        "lead": _("The plant's gestation ends the rule set's months after the award date; the five "
                  "milestones are planned across it."),
    })  # fmt: skip


def _plant_context(request, plant_id: int) -> dict:
    plant = selectors.plant_for(request.user, plant_id)
    now = timezone.now()
    row = selectors.plant_row(plant, now=now)
    user = request.user
    return {
        "plant": plant,
        "award": plant.award,
        "row": row,
        "penalty": row.penalty,
        "basis": selectors.pbg_basis(plant.award),
        "today": timezone.localdate(now),
        "is_owner": has_role(user, Role.FIRM_USER) and user.firm_id == plant.award.bid.firm_id,
        "is_verifier": has_role(user, Role.VERIFIER),
        "is_approver": has_role(user, Role.APPROVER),
        "statuses": Milestone.Status,
        "reason_form": ReasonForm(),
        "remarks_form": RemarksForm(),
    }


@login_required
def plant_detail(request, plant_id: int):
    return render(request, "gestation/plant_detail.html", _plant_context(request, plant_id))


@login_required
def plant_penalty(request, plant_id: int):
    """The penalty card alone, polled by htmx so the figure accrues on screen."""
    return render(request, "gestation/_penalty.html", _plant_context(request, plant_id))


@login_required
def milestone_submit(request, milestone_id: int):
    milestone = selectors.milestone_for(request.user, milestone_id)
    user = request.user
    if not (has_role(user, Role.FIRM_USER) and user.firm_id == milestone.plant.award.bid.firm_id):
        raise PermissionDenied("Only the winner's own people may report its milestones.")
    commissioning = milestone.kind == Milestone.Kind.COMMISSIONING
    form = SubmitMilestoneForm(
        request.POST or None,
        request.FILES or None,
        commissioning=commissioning,
        initial={"actual_on": milestone.actual_on, "remarks": milestone.firm_remarks},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.submit_milestone(
                actor=request.user, milestone=milestone, actual_on=data["actual_on"],
                remarks=data["remarks"], files=data["files"],
                commissioned_mtpa=data.get("commissioned_mtpa"),
            )  # fmt: skip
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(
                request,
                _("%(kind)s reported for verification.")
                % {"kind": _(milestone.get_kind_display())},
            )
            return redirect("plant_detail", plant_id=milestone.plant_id)
    return render(request, "gestation/form.html", {
        "form": form, "multipart": True, "plant": milestone.plant,
        "heading": _("Report: %(kind)s") % {"kind": _(milestone.get_kind_display()).lower()},
        "lead": _("Planned for %(date)s. Attach the evidence: PDF, PNG or JPEG "
                  "files of at most %(mb)s MB each.") % {
            "date": f"{milestone.planned_on:%d %b %Y}", "mb": services.EVIDENCE_MAX_BYTES // (1024 * 1024)},
        "returned": milestone.verification_remarks if milestone.status == Milestone.Status.RETURNED else "",
    })  # fmt: skip


@login_required
@require_POST
def milestone_verify(request, milestone_id: int):
    milestone = selectors.milestone_for(request.user, milestone_id)
    form = RemarksForm(request.POST)
    form.is_valid()
    try:
        services.verify_milestone(
            actor=request.user, milestone=milestone, remarks=form.cleaned_data.get("remarks", "")
        )
    except ValidationError as exc:
        flash_errors(request, exc)
    else:
        messages.success(
            request,
            _("%(kind)s verified; it awaits acceptance.")
            % {"kind": _(milestone.get_kind_display())},
        )
    return redirect("plant_detail", plant_id=milestone.plant_id)


@login_required
@require_POST
def milestone_return(request, milestone_id: int):
    milestone = selectors.milestone_for(request.user, milestone_id)
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        services.return_milestone(actor=request.user, milestone=milestone, reason=reason)
    except ValidationError as exc:
        flash_errors(request, exc)
    else:
        messages.success(
            request, _("%(kind)s returned to the firm.") % {"kind": _(milestone.get_kind_display())}
        )
    return redirect("plant_detail", plant_id=milestone.plant_id)


@login_required
@require_POST
def milestone_accept(request, milestone_id: int):
    milestone = selectors.milestone_for(request.user, milestone_id)
    try:
        services.accept_milestone(actor=request.user, milestone=milestone)
    except ValidationError as exc:
        flash_errors(request, exc)
    else:
        if milestone.kind == Milestone.Kind.COMMISSIONING:
            messages.success(request, _("Commissioning accepted: the plant was commissioned on %(date)s.") % {
                "date": f"{milestone.actual_on.day} {milestone.actual_on:%b %Y}"})  # fmt: skip
        else:
            messages.success(
                request, _("%(kind)s accepted.") % {"kind": _(milestone.get_kind_display())}
            )
    return redirect("plant_detail", plant_id=milestone.plant_id)


@login_required
def evidence_file(request, evidence_id: int):
    evidence = selectors.evidence_for(request.user, evidence_id)
    response = FileResponse(
        evidence.file.open("rb"),
        content_type=evidence.content_type,
        as_attachment=evidence.content_type != "application/pdf",
        filename=evidence.original_name,
    )
    response["X-Content-SHA256"] = evidence.sha256
    response["X-Content-Type-Options"] = "nosniff"
    return response
