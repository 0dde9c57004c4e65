"""Pages of the sales-linked incentive: parse the request, call a selector or a service, render.

A firm sees its own awards' position and each claim's working; the read-all roles see the
quarter queue, the SLI pool and the true-ups; officials and approvers ask for a quarter-close
preview; an approver approves a true-up. The checks live in the selectors (what may be seen) and
the services (who may act).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from beneficiaries.models import User
from incentives.sli import figures, selectors, services
from incentives.sli.models import PreviewRun, SliComputation, TrueUp
from incentives.sli.preview import PREVIEWERS
from incentives.sli.true_up import APPROVERS
from repm_portal.models import Job
from repm_portal.roles import READ_ALL_ROLES, Role, has_role, require_role

# Inputs shown in rupees, and the one shown in kg; the rest as they stand.
MONEY_INPUTS = {
    "rate",
    "net_sales_value",
    "award_sanctioned_before",
    "pool_sanctioned_before",
    "pending_deductions",
    "released_in_year",
    "rules.sli_pool",
}
KG_INPUTS = {"eligible_kg"}


def _person(request: HttpRequest) -> User:
    """The signed-in person acting (the views that act are behind login_required)."""
    if not isinstance(request.user, User):
        raise PermissionDenied("Log in first.")
    return request.user


def _quarter(text: str | None) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise Http404("No such quarter") from None


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The firm's page: each award against its cap, its claims and true-ups; staff go to the queue."""
    user = request.user
    if has_role(user, *READ_ALL_ROLES):
        return redirect("sli_queue")
    require_role(user, Role.FIRM_USER, action="see a firm's sales-linked incentive")
    positions = selectors.award_positions(user, today=timezone.localdate())
    return render(request, "sli/home.html", {"positions": positions})


# --- the working of one figure -----------------------------------------------------------------


def _input_rows(inputs: dict[str, Any]) -> list[dict[str, Any]]:
    """The input as key, value and how to show it (rules flattened to rules.<field>)."""
    flat: list[tuple[str, Any]] = []
    for key, value in inputs.items():
        if key == "rules" and isinstance(value, dict):
            flat.extend((f"rules.{name}", inner) for name, inner in value.items())
        else:
            flat.append((key, value))
    rows = []
    for key, value in flat:
        shown = "money" if key in MONEY_INPUTS else "kg" if key in KG_INPUTS else "text"
        if isinstance(value, list):
            value = ", ".join(str(item) for item in value)
        rows.append({"key": key, "value": value, "shown": shown})
    return rows


def _steps(working: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {**step, "label": figures.STEP_LABELS.get(step["name"], step["name"])}
        for step in working.get("steps", [])
    ]


def _working_context(
    *, working: dict[str, Any], inputs: dict[str, Any], rule_set_version: int
) -> dict[str, Any]:
    return {
        "working": working,
        "steps": _steps(working),
        "input_rows": _input_rows(inputs),
        "inputs_json": json.dumps(inputs, indent=2),
        "rule_set_version": rule_set_version,
    }


@login_required
def claim_working(request: HttpRequest, claim_id: int) -> HttpResponse:
    """A quarter claim's figure step by step: its figure of record, a stored preview, or one now."""
    claim = get_object_or_404(selectors.claims_visible_to(request.user), pk=claim_id)
    stored = list(claim.sli_computations.select_related("rule_set", "letter", "preview_run"))
    chosen: SliComputation | None = None
    wanted = request.GET.get("computation", "")
    if wanted:
        chosen = next((c for c in stored if str(c.pk) == wanted), None)
        if chosen is None:
            raise Http404("No such figure of this claim")
    else:
        records = [c for c in stored if c.purpose == SliComputation.Purpose.SANCTION]
        chosen = records[-1] if records else None
    letter = selectors.current_letters([claim]).get(claim.pk)
    context: dict[str, Any] = {
        "claim": claim,
        "award": claim.award,
        "stored": stored,
        "chosen": chosen,
        "letter": letter,
        "problem": "",
    }
    if chosen is not None:
        context.update(
            _working_context(
                working=chosen.working,
                inputs=chosen.inputs,
                rule_set_version=chosen.rule_set.version,
            )
        )
        context["source"] = "record" if chosen.purpose == SliComputation.Purpose.SANCTION else "run"
        if chosen.letter is not None:
            context["letter"] = chosen.letter
    elif claim.status in selectors.PREVIEWED:
        try:
            figure = selectors.live_figure(claim)
        except (LookupError, ValueError) as exc:
            context["problem"] = str(exc)
        else:
            context.update(
                _working_context(
                    working=figure.working,
                    inputs=figure.inputs,
                    rule_set_version=claim.rule_set.version,
                )
            )
            context["source"] = "now"
    return render(request, "sli/claim_working.html", context)


# --- the quarter queue and its preview ---------------------------------------------------------


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    """A quarter's claims with their state and what each receives or would receive."""
    require_role(request.user, *READ_ALL_ROLES, action="see the SLI quarter queue")
    shown = selectors.quarter_queue(request.user, _quarter(request.GET.get("quarter")))
    return render(
        request,
        "sli/queue.html",
        {
            "queue": shown,
            "can_preview": has_role(request.user, *PREVIEWERS),
            "job": shown.job,
        },
    )


@login_required
@require_POST
def preview_request(request: HttpRequest) -> HttpResponse:
    """Ask for the quarter-close preview (officials and approvers; the service checks)."""
    period_end = _quarter(request.POST.get("quarter"))
    if period_end is None:
        raise Http404("No such quarter")
    run = services.request_quarter_preview(period_end=period_end, actor=_person(request))
    messages.success(
        request,
        _(
            "The preview of the quarter ending %(end)s was asked for at %(at)s; the figures "
            "appear here once it has run."
        )
        % {"end": f"{period_end:%d %b %Y}", "at": f"{timezone.localtime(run.requested_at):%H:%M}"},
    )
    return redirect(f"{reverse('sli_queue')}?quarter={period_end.isoformat()}")


@login_required
def preview_progress(request: HttpRequest, run_id: int) -> HttpResponse:
    """The preview run's job, polled by htmx; once it is done the page reloads to show its figures."""
    require_role(request.user, *READ_ALL_ROLES, action="follow an SLI preview")
    run = get_object_or_404(PreviewRun, pk=run_id)
    job = Job.objects.filter(task=PreviewRun.TASK, target=str(run.pk)).first()
    response = render(request, "sli/_preview_progress.html", {"run": run, "job": job})
    if (job is None or not job.is_active) and request.headers.get("HX-Request"):
        response["HX-Refresh"] = "true"
    return response


# --- the pool ----------------------------------------------------------------------------------


def chart_data(history: list[selectors.PoolPoint]) -> dict[str, list[str]]:
    """The pool's history as the chart reads it: decimal strings, exact, one per quarter."""
    return {
        "labels": [point.quarter.label for point in history],
        "quarter_ends": [point.quarter.end.isoformat() for point in history],
        "pool": [f"{point.limit:f}" for point in history],
        "sanctioned": [f"{point.sanctioned:f}" for point in history],
        "paid": [f"{point.paid:f}" for point in history],
    }


@login_required
def pool(request: HttpRequest) -> HttpResponse:
    """The SLI pool: its limit, committed, sanctioned and paid, quarter by quarter."""
    require_role(request.user, *READ_ALL_ROLES, action="see the SLI pool")
    position = selectors.sli_pool(request.user, today=timezone.localdate())
    return render(
        request,
        "sli/pool.html",
        {"pool": position, "chart": chart_data(position.history)},
    )


# --- true-ups ----------------------------------------------------------------------------------


def _can_approve(user: Any, true_up: TrueUp) -> bool:
    return (
        has_role(user, *APPROVERS)
        and true_up.status == TrueUp.Status.COMPUTED
        and true_up.computed_by_id != user.pk
    )


@login_required
def true_up_list(request: HttpRequest) -> HttpResponse:
    require_role(
        request.user, Role.FIRM_USER, *READ_ALL_ROLES, action="see the SLI annual true-ups"
    )
    true_ups = selectors.true_ups_visible_to(request.user).order_by("-financial_year", "award")
    status = request.GET.get("status", "")
    if status in TrueUp.Status.values:
        true_ups = true_ups.filter(status=status)
    rows = [(true_up, _can_approve(request.user, true_up)) for true_up in true_ups[:200]]
    return render(
        request,
        "sli/true_ups.html",
        {"rows": rows, "statuses": TrueUp.Status.choices, "status": status},
    )


@login_required
def true_up_detail(request: HttpRequest, true_up_id: int) -> HttpResponse:
    true_up = get_object_or_404(selectors.true_ups_visible_to(request.user), pk=true_up_id)
    computation = true_up.computation
    context: dict[str, Any] = {
        "true_up": true_up,
        "award": true_up.award,
        "computation": computation,
        "can_approve": _can_approve(request.user, true_up),
    }
    if computation is not None:
        context.update(
            _working_context(
                working=computation.working,
                inputs=computation.inputs,
                rule_set_version=computation.rule_set.version,
            )
        )
    return render(request, "sli/true_up_detail.html", context)


@login_required
@require_POST
def true_up_approve(request: HttpRequest, true_up_id: int) -> HttpResponse:
    """An approver who did not compute it approves a computed true-up (the service checks both)."""
    true_up = get_object_or_404(selectors.true_ups_visible_to(request.user), pk=true_up_id)
    try:
        true_up = services.approve_true_up(true_up=true_up, actor=_person(request))
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        true_up.refresh_from_db()
        messages.success(
            request,
            (
                _(
                    "The %(year)s true-up of %(award)s is approved (%(state)s); its balance goes "
                    "for its sanction letter."
                )
                if true_up.status == TrueUp.Status.APPROVED
                else _("The %(year)s true-up of %(award)s is approved (%(state)s).")
            )
            % {
                "year": true_up.financial_year,
                "award": true_up.award.label,
                "state": _(true_up.get_status_display()).lower(),
            },
        )
    return redirect("sli_true_up_detail", true_up_id=true_up.pk)


__all__ = [
    "chart_data",
    "claim_working",
    "home",
    "pool",
    "preview_progress",
    "preview_request",
    "queue",
    "true_up_approve",
    "true_up_detail",
    "true_up_list",
]
