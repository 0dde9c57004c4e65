"""Pages of the evidence bundles: ask for a financial year's bundle, follow its job, download it.

Auditors and officials (and the administrator) only; the service checks who may ask, the
selector what may be seen, and every view checks again.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from beneficiaries.models import User
from incentives.evidence import selectors, services
from incentives.evidence.forms import BundleForm
from repm_portal.roles import require_role


def _maker(request: HttpRequest) -> User:
    require_role(request.user, *services.BUNDLE_MAKERS, action="produce evidence bundles")
    if not isinstance(request.user, User):
        raise PermissionDenied("Log in first.")
    return request.user


@login_required
def bundles(request: HttpRequest) -> HttpResponse:
    """The bundles asked for, newest first, and the form to ask for another."""
    user = _maker(request)
    form = BundleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            run = services.request_bundle(
                actor=user,
                financial_year=form.cleaned_data["financial_year"],
                pool=form.cleaned_data["pool"] or "",
            )
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                for message in errors:
                    form.add_error(field if field in form.fields else None, message)
        else:
            messages.success(
                request,
                _(
                    "The evidence bundle for FY %(year)s was asked for; it is built in the background."
                )
                % {"year": run.financial_year},
            )
            return redirect("evidence_bundles")
    years = selectors.years_with_letters()
    if not form.is_bound and years:
        form.initial["financial_year"] = years[0]
    runs = list(selectors.runs_visible_to(user)[:50])
    return render(
        request,
        "evidence/bundles.html",
        {"form": form, "rows": [(run, selectors.job_of(run)) for run in runs], "years": years},
    )


@login_required
def progress(request: HttpRequest, run_id: int) -> HttpResponse:
    """One run's job, polled by htmx while it builds."""
    user = _maker(request)
    run = get_object_or_404(selectors.runs_visible_to(user), pk=run_id)
    job = selectors.job_of(run)
    return render(request, "evidence/_progress.html", {"run": run, "job": job})


@login_required
def download(request: HttpRequest, run_id: int) -> FileResponse:
    user = _maker(request)
    run = get_object_or_404(selectors.runs_visible_to(user), pk=run_id)
    if not run.is_built:
        raise Http404("The bundle is not built yet")
    response = FileResponse(
        run.file.open("rb"),
        as_attachment=True,
        filename=f"repm-evidence-{run.financial_year}-{run.pk}.zip",
        content_type="application/zip",
    )
    response["X-Content-SHA256"] = run.sha256
    return response


__all__ = ["bundles", "download", "progress"]
