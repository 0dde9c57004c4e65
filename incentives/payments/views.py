"""Pages of payment runs: parse the request, call a service or selector, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from incentives.models import SanctionLetter
from incentives.payments import advice, returns, selectors, services
from incentives.payments.forms import CancelRunForm, ReturnFileForm
from incentives.payments.models import BankReturnFile, PaymentInstruction, PaymentRun
from repm_portal.forms import flash_errors
from repm_portal.roles import has_role

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _require_reader(request: HttpRequest) -> None:
    if not selectors.can_read(request.user):
        raise PermissionDenied("Payment runs are for the ministry's finance wing and auditors.")


def _run(request: HttpRequest, run_id: int) -> PaymentRun:
    _require_reader(request)
    run = selectors.run_for(request.user, run_id)
    if run is None:
        raise Http404("No such payment run.")
    return run


def _ids(request: HttpRequest, name: str) -> list[int]:
    return [int(v) for v in request.POST.getlist(name) if v.isdigit()]


@login_required
def run_list(request: HttpRequest) -> HttpResponse:
    _require_reader(request)
    letter = None
    instructions: list[PaymentInstruction] = []
    if request.GET.get("letter", "").isdigit():
        letter = SanctionLetter.objects.filter(pk=int(request.GET["letter"])).first()
        if letter is not None:
            instructions = list(
                selectors.instructions_visible_to(request.user)
                .filter(letter=letter)
                .order_by("run__prepared_at", "position")
            )
    return render(request, "payments/run_list.html", {
        "runs": list(selectors.runs_visible_to(request.user)[:200]),
        "failed_count": selectors.failed_awaiting_reissue(request.user).count(),
        "can_prepare": has_role(request.user, *selectors.PREPARERS),
        "letter": letter, "instructions": instructions,
    })  # fmt: skip


@login_required
def run_prepare(request: HttpRequest) -> HttpResponse:
    if not has_role(request.user, *selectors.PREPARERS):
        raise PermissionDenied("Only a ministry official prepares a payment run.")
    candidates = selectors.payable_letters(request.user)
    failed = list(selectors.failed_awaiting_reissue(request.user))
    chosen = {int(v) for v in request.GET.getlist("letter") if v.isdigit()}
    chosen_failed = {int(v) for v in request.GET.getlist("reissue") if v.isdigit()}
    status = 200
    if request.method == "POST":
        letter_ids, reissue_ids = _ids(request, "letter"), _ids(request, "reissue")
        chosen, chosen_failed = set(letter_ids), set(reissue_ids)
        try:
            run = services.prepare_run(
                actor=request.user,
                letters=SanctionLetter.objects.filter(pk__in=letter_ids),
                reissue=PaymentInstruction.objects.filter(pk__in=reissue_ids),
            )
        except ValidationError as exc:
            flash_errors(request, exc)
            status = 400
        else:
            messages.success(
                request,
                _(
                    "%(reference)s is prepared with %(n)s instruction(s); "
                    "a second official must release it before the advice goes to the bank."
                )
                % {"reference": run.reference, "n": run.instruction_count},
            )
            return redirect("payment_run_detail", run_id=run.pk)
    return render(request, "payments/prepare.html", {
        "candidates": candidates, "failed": failed, "chosen": chosen,
        "chosen_failed": chosen_failed, "select_all": request.GET.get("all") == "1",
    }, status=status)  # fmt: skip


def _detail(
    request: HttpRequest,
    run: PaymentRun,
    *,
    form: ReturnFileForm | None = None,
    problems: list[returns.Problem] | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    payer = has_role(user, *selectors.RELEASERS)
    instructions = list(selectors.instructions_of(run))
    context = {
        "run": run,
        "instructions": instructions,
        "return_files": list(run.return_files.select_related("uploaded_by")),
        "awaiting": sum(1 for i in instructions if i.status == PaymentInstruction.Status.SENT),
        "paid_total": selectors.succeeded_total(run=run),
        "can_release": payer
        and run.status == PaymentRun.Status.PREPARED
        and run.prepared_by_id != user.pk,
        "is_preparer": run.prepared_by_id == user.pk,
        "can_cancel": payer and run.status == PaymentRun.Status.PREPARED,
        "can_download": payer and run.advice_ready,
        "can_import": has_role(user, *selectors.IMPORTERS)
        and run.status == PaymentRun.Status.RELEASED,
        "return_form": form or ReturnFileForm(),
        "cancel_form": CancelRunForm(),
        "problems": problems or [],
    }
    return render(request, "payments/run_detail.html", context, status=status)


@login_required
def run_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    return _detail(request, _run(request, run_id))


@login_required
@require_POST
def run_release(request: HttpRequest, run_id: int) -> HttpResponse:
    run = _run(request, run_id)
    try:
        services.release_run(actor=request.user, run=run)
    except ValidationError as exc:
        flash_errors(request, exc)
    else:
        messages.success(
            request,
            _("%(reference)s is released: its advice may now be downloaded.")
            % {"reference": run.reference},
        )
    return redirect("payment_run_detail", run_id=run.pk)


@login_required
@require_POST
def run_cancel(request: HttpRequest, run_id: int) -> HttpResponse:
    run = _run(request, run_id)
    try:
        services.cancel_run(actor=request.user, run=run, reason=request.POST.get("reason", ""))
    except ValidationError as exc:
        flash_errors(request, exc)
    else:
        messages.success(
            request,
            _("%(reference)s is cancelled; its letters may be paid again.")
            % {"reference": run.reference},
        )
    return redirect("payment_run_detail", run_id=run.pk)


@login_required
def run_advice(request: HttpRequest, run_id: int, file_format: str) -> HttpResponse:
    run = _run(request, run_id)
    if file_format not in FORMATS:
        raise Http404("The advice is given as .csv or .xlsx.")
    services.record_advice_download(actor=request.user, run=run, file_format=file_format)
    name = f"{run.reference.replace('/', '-')}-advice.{file_format}"
    response: HttpResponse
    if file_format == "csv":
        response = StreamingHttpResponse(advice.advice_csv(run), content_type=FORMATS["csv"])
    else:
        response = HttpResponse(advice.advice_xlsx(run), content_type=FORMATS["xlsx"])
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
@require_POST
def run_return(request: HttpRequest, run_id: int) -> HttpResponse:
    run = _run(request, run_id)
    if not has_role(request.user, *selectors.IMPORTERS):
        raise PermissionDenied("Only a ministry official imports the bank's return file.")
    form = ReturnFileForm(request.POST, request.FILES)
    if not form.is_valid():
        return _detail(request, run, form=form, status=400)
    upload = form.cleaned_data["file"]
    try:
        applied = returns.import_return_file(
            actor=request.user, run=run, data=upload.read(), filename=upload.name
        )
    except returns.ReturnFileRefused as exc:
        run.refresh_from_db()
        return _detail(request, run, form=form, problems=exc.problems, status=400)
    messages.success(
        request,
        (
            _("Return file applied: %(paid)s paid, %(failed)s failed; the run is closed.")
            if applied.closed
            else _("Return file applied: %(paid)s paid, %(failed)s failed.")
        )
        % {"paid": applied.succeeded, "failed": applied.failed},
    )
    return redirect("payment_run_detail", run_id=run.pk)


@login_required
def return_file_download(request: HttpRequest, file_id: int) -> HttpResponse:
    """The bank's return file exactly as it was applied, with its SHA-256 to check it by."""
    _require_reader(request)
    stored = BankReturnFile.objects.filter(pk=file_id).first()
    if stored is None:
        raise Http404("No such return file.")
    response = FileResponse(stored.file.open("rb"), content_type="application/octet-stream")
    response["Content-Disposition"] = (
        f'attachment; filename="{stored.file.name.rsplit("/", 1)[-1]}"'
    )
    response["X-Content-SHA256"] = stored.sha256
    return response


@login_required
def failed_list(request: HttpRequest) -> HttpResponse:
    _require_reader(request)
    return render(request, "payments/failed.html", {
        "failed": list(selectors.failed_awaiting_reissue(request.user)),
        "can_prepare": has_role(request.user, *selectors.PREPARERS),
    })  # fmt: skip
