"""Pages of oversight: the exports page, each export streamed as CSV, and the background runs
(asked for, followed by their progress bar, downloaded). Auditors, officials and administrators
only: the selectors refuse everyone else."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from beneficiaries.models import User
from incentives.oversight import selectors, services, sheets, writing
from incentives.oversight.models import ExportRun
from repm_portal import clock
from repm_portal.models import Job

DESCRIPTIONS = {
    ExportRun.Kind.REGISTER: "Every sanction letter, with its corrections, payments and UTRs, what is pending and the days against the payment service level.",
    ExportRun.Kind.WORKING: "For each claim behind a sanction: every input, each adjustment with its reason and maker, each cap step, the rule-set version and the result.",
    ExportRun.Kind.AUDIT: "The hash-chained audit trail, with the result of a chain check run as the export is made.",
    ExportRun.Kind.GUARANTEES: "Every performance bank guarantee: bank, number, amount, validity, status, invocation or release, and days to expiry.",
}  # fmt: skip


def _person(request: HttpRequest) -> User:
    if not isinstance(request.user, User):
        raise PermissionDenied("Log in first.")
    return request.user


def _kind(kind: str) -> str:
    if kind not in ExportRun.Kind.values:
        raise Http404("No such export")
    return kind


def _with_jobs(runs: list[ExportRun]) -> list[tuple[ExportRun, Job | None]]:
    found = Job.objects.filter(task=ExportRun.TASK, target__in=[str(r.pk) for r in runs])
    by_target = {job.target: job for job in found}
    return [(run, by_target.get(str(run.pk))) for run in runs]


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Each export with its filters, a CSV to stream now or a file to produce, and the past runs."""
    runs = list(selectors.runs_visible_to(request.user)[:50])
    exports: list[dict[str, Any]] = []
    for kind, label in ExportRun.Kind.choices:
        filterset = sheets.FILTERS[kind](request.GET or None, queryset=None)
        filterset.form.auto_id = f"id_{kind}_%s"
        exports.append(
            {"kind": kind, "label": label, "about": DESCRIPTIONS[kind], "form": filterset.form}
        )
    return render(request, "oversight/home.html", {"exports": exports, "runs": _with_jobs(runs)})


@login_required
@require_http_methods(["GET", "POST"])
def export_csv(request: HttpRequest, kind: str) -> HttpResponse:
    """The export streamed as CSV now: its statement lines, then its rows, chunk by chunk.

    GET for a link that can be kept; POST from the exports page's form (one form, several buttons).
    """
    kind = _kind(kind)
    params = sheets.clean_params(kind, request.POST if request.method == "POST" else request.GET)
    try:
        sheet = sheets.build(kind, request.user, params, clock.today())
    except ValidationError as error:
        return HttpResponse(
            "; ".join(f"{k}: {' '.join(v)}" for k, v in error.message_dict.items()),
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    lines = writing.statement(
        sheet,
        produced_at=timezone.localtime(clock.now()),
        produced_by=sheets.person(request.user),
        count=sheet.count(),
    )
    response = StreamingHttpResponse(
        writing.csv_lines(sheet, lines), content_type="text/csv; charset=utf-8"
    )
    stamp = timezone.localtime(clock.now()).strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="repm-{kind}-{stamp}.csv"'
    return response


@login_required
@require_POST
def run_request(request: HttpRequest, kind: str) -> HttpResponse:
    """Ask for the export to be produced in the background (XLSX, or CSV for a large one)."""
    kind = _kind(kind)
    fmt = request.POST.get("format", ExportRun.Format.XLSX)
    try:
        run = services.request_export(
            actor=_person(request), kind=kind, fmt=fmt, params=request.POST.dict()
        )
    except ValidationError as error:
        for field, errors in error.message_dict.items():
            messages.error(request, f"{field}: {' '.join(errors)}")
        return redirect("oversight_home")
    messages.success(
        request,
        _("%(kind)s (%(fmt)s) asked for; it is produced in the background and waits below.")
        % {"kind": _(run.get_kind_display()), "fmt": _(run.get_format_display())},
    )
    return redirect(f"{reverse('oversight_home')}#run-{run.pk}")


@login_required
@require_GET
def run_progress(request: HttpRequest, run_id: int) -> HttpResponse:
    """One run's row, polled by htmx while its job is active."""
    run = get_object_or_404(selectors.runs_visible_to(request.user), pk=run_id)
    job = Job.objects.filter(task=ExportRun.TASK, target=str(run.pk)).first()
    return render(request, "oversight/_run.html", {"run": run, "job": job})


@login_required
@require_GET
def run_download(request: HttpRequest, run_id: int) -> FileResponse:
    run = get_object_or_404(selectors.runs_visible_to(request.user), pk=run_id)
    if run.finished_at is None or not run.file:
        raise Http404("This export is not produced yet")
    content_type = (
        "text/csv; charset=utf-8"
        if run.format == ExportRun.Format.CSV
        else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    name = run.file.name.rsplit("/", 1)[-1]
    return FileResponse(
        run.file.open("rb"), as_attachment=True, filename=name, content_type=content_type
    )
