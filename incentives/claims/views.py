"""Pages of sales claims: periods and their windows, uploads with live progress, errors, claim totals."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from incentives.claims import feedstock, reports, selectors, services
from incentives.claims.forms import (
    AdjustForm,
    ReasonForm,
    SubmitForm,
    VerifyForm,
    feedstock_formset,
)
from incentives.claims.models import Claim
from incentives.ingest.columns import COLUMNS, DATE_FORMATS, template_csv, template_xlsx
from repm_portal.exports import csv_rows
from repm_portal.forms import flash_errors
from repm_portal.roles import Role, has_role
from repm_portal.viewer_cache import viewer_cached


class UploadForm(forms.Form):
    file = forms.FileField(
        label="Sales lines (.csv or .xlsx)",
        help_text="UTF-8 CSV (comma or semicolon) or an Excel workbook, laid out as the template.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )


def _period_start(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise Http404("No such claim period") from None


@login_required
@viewer_cached
def claim_list(request):
    """Every commissioned award the user may see, with its claim periods so far."""
    today = timezone.localdate()
    visible = list(selectors.commissioned_awards_visible_to(request.user))
    rows_of = selectors.period_rows_of(visible, lean=True)
    awards = [
        {"award": award, "rows": [r for r in rows_of[award.pk] if r.period.starts_on <= today]}
        for award in visible
    ]
    return render(
        request,
        "claims/claim_list.html",
        {"awards": awards, "is_beneficiary_of": _beneficiary_awards(request.user)},
    )


def _beneficiary_awards(user) -> set[int]:
    # selectors.is_beneficiary for every award at once: a firm user's visible awards are its own.
    if not (has_role(user, Role.FIRM_USER) and user.firm_id):
        return set()
    return set(selectors.commissioned_awards_visible_to(user).values_list("pk", flat=True))


@login_required
def upload_form(request, award_id: int, period: str):
    award = selectors.award_for(request.user, award_id)
    period_start = _period_start(period)
    row = next(
        (r for r in selectors.period_rows(award) if r.period.starts_on == period_start), None
    )
    if row is None:
        raise Http404("No such claim period")
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            received = services.receive_upload(
                actor=request.user,
                award=award,
                period_start=period_start,
                upload=form.cleaned_data["file"],
            )
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error("file", message)
        else:
            upload = received.upload
            if received.recognised:
                messages.info(
                    request,
                    _(
                        "This exact file (SHA-256 %(sha)s…) was already uploaded on %(when)s: "
                        "%(status)s. Nothing new was stored."
                    )
                    % {
                        "sha": upload.sha256[:12],
                        "when": f"{timezone.localtime(upload.uploaded_at):%d %b %Y at %H:%M}",
                        "status": _(upload.progress.status_label).lower(),
                    },
                )
            else:
                messages.success(
                    request,
                    _("'%(name)s' received; it is being checked.") % {"name": upload.original_name},
                )
            return redirect("claim_upload_detail", upload_id=upload.pk)
    return render(
        request,
        "claims/upload_form.html",
        {
            "award": award,
            "row": row,
            "form": form,
            "limit_mb": services.max_upload_bytes() // services.MiB,
            "max_rows": services.max_rows(),
        },
    )


@login_required
def upload_detail(request, upload_id: int):
    upload = selectors.upload_for(request.user, upload_id)
    errors = Paginator(upload.errors, 100).get_page(request.GET.get("page"))
    return render(
        request,
        "claims/upload_detail.html",
        {
            "upload": upload,
            "award": upload.award,
            "period": selectors.period_of(upload.award, upload.period_start),
            "errors_page": errors,
            "summary": reports.rule_summary(upload.summary_by_rule),
            "flags": reports.flag_summary(upload.flag_summary),
            "can_rerun": services.can_rerun(request.user, upload),
            "can_upload_again": selectors.is_beneficiary(request.user, upload.award),
        },
    )


@login_required
def upload_progress(request, upload_id: int):
    """The progress bar, polled by htmx; once the upload is done, the page reloads to show the result."""
    upload = selectors.upload_for(request.user, upload_id)
    response = render(request, "claims/_progress.html", {"upload": upload})
    if not upload.is_active and request.headers.get("HX-Request"):
        response["HX-Refresh"] = "true"
    return response


@login_required
@require_POST
def upload_rerun(request, upload_id: int):
    upload = selectors.upload_for(request.user, upload_id)
    try:
        services.rerun_upload(actor=request.user, upload=upload)
    except ValidationError as exc:
        flash_errors(request, exc)
    else:
        messages.success(request, _("The check was queued again."))
    return redirect("claim_upload_detail", upload_id=upload.pk)


@login_required
def upload_errors(request, upload_id: int, fmt: str):
    upload = selectors.upload_for(request.user, upload_id)
    if not upload.errors:
        raise Http404("This upload has no errors")
    result = reports.errors_result(upload)
    stem = f"claim-upload-{upload.pk}-errors"
    if fmt == "xlsx":
        return _attachment(
            result.errors_xlsx(meanings=services.RULES),
            f"{stem}.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    return _attachment(result.errors_csv(), f"{stem}.csv", "text/csv; charset=utf-8")


@login_required
def upload_annotated(request, upload_id: int):
    upload = selectors.upload_for(request.user, upload_id)
    if not upload.annotated_file:
        raise Http404("This upload has no annotated copy")
    return FileResponse(
        upload.annotated_file.open("rb"),
        as_attachment=True,
        filename=upload.annotated_file.name.rsplit("/", 1)[-1].split("-", 1)[-1],
    )


@login_required
def upload_file(request, upload_id: int):
    """The raw file as uploaded, with its SHA-256."""
    upload = selectors.upload_for(request.user, upload_id)
    response = FileResponse(
        upload.file.open("rb"), as_attachment=True, filename=upload.original_name
    )
    response["X-Content-SHA256"] = upload.sha256
    return response


def _verification_context(request, claim: Claim, *, adjust_form: AdjustForm | None = None) -> dict:
    """The verifier's working: totals as filed and as adjusted, and every adjustment with its reason."""
    kg, value = selectors.verified_totals(claim)
    return {
        "claim": claim,
        "feedstock_check": feedstock.check_of(claim, verified_kg=kg),
        "verified_kg": kg,
        "verified_value": value,
        "kg_change": kg - claim.eligible_kg,
        "value_change": value - claim.net_sales_value,
        "adjustments": list(selectors.adjustments_of(claim)),
        "adjusted_lines": selectors.adjusted_line_count(claim),
        "can": selectors.can_act(request.user, claim),
        "adjust_form": adjust_form or AdjustForm(),
    }


def _letter_shown_to(user, claim):
    """The claim's current sanction letter, if this user may open its page (else no link is shown)."""
    from django.core.exceptions import PermissionDenied

    from incentives import sanctions
    from incentives.models import SanctionLetter

    letter = (
        SanctionLetter.objects.filter(
            claim_type=services.CLAIM_TYPE, claim_id=str(claim.pk), reversed_by__isnull=True
        )
        .order_by("-id")
        .first()
    )
    if letter is None:
        return None
    try:
        sanctions.check_can_view(user, letter)
    except PermissionDenied:
        return None
    return letter


@login_required
def claim_detail(request, claim_id: int):
    claim = selectors.claim_for(request.user, claim_id)
    flagged = Paginator(selectors.flagged_lines(claim).order_by("row"), 50).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "claims/claim_detail.html",
        {
            **_verification_context(request, claim),
            "award": claim.award,
            "plant": selectors.plant_of(claim.award),
            "upload": claim.current_upload,
            "view": reports.totals_view(claim.current_upload.totals),
            "flagged": flagged,
            "uploads": selectors.with_jobs(
                claim.award.sales_uploads.filter(period_start=claim.period_start).order_by(
                    "-uploaded_at", "-id"
                )
            ),
            "sla": selectors.verification_sla(claim),
            "letter": _letter_shown_to(request.user, claim),
            "documents": selectors.documents_of(claim),
            "history": selectors.history_of(claim),
            "submit_form": SubmitForm(),
            "feedstock_formset": feedstock_formset(services.declaration_of(claim)),
            "reason_form": ReasonForm(),
            "verify_form": VerifyForm(),
            "reopen_days": services.reopen_days(),
        },
    )


CLAIM_ACTIONS = (
    "feedstock", "submit", "reopen", "start_verification", "adjust", "return", "reject", "verify", "approve",
)  # fmt: skip
DONE = {
    "feedstock": gettext_lazy("its feedstock declaration is kept"),
    "submit": gettext_lazy("submitted for verification; its lines are frozen"),
    "reopen": gettext_lazy("reopened with a new window"),
    "start_verification": gettext_lazy("taken up for verification"),
    "return": gettext_lazy("returned to the firm for correction"),
    "reject": gettext_lazy("rejected"),
    "verify": gettext_lazy("verified; it waits for approval"),
    "approve": gettext_lazy("approved; its sanction letter is being issued"),
}


def _form_errors(form: forms.Form) -> list[str]:
    return [
        f"{form.fields[name].label or name}: {message}" if name in form.fields else message
        for name, messages_ in form.errors.items()
        for message in messages_
    ]


@login_required
@require_POST
def claim_action(request, claim_id: int, action: str):
    """One decision on a claim: the form is parsed here, the service decides and audits."""
    claim = selectors.claim_for(request.user, claim_id)
    user = request.user
    if action not in CLAIM_ACTIONS:
        raise Http404("No such action")
    if action == "adjust":
        return _adjust(request, claim)
    try:
        if action == "feedstock":
            _declare(request, claim)
        elif action == "submit":
            form: forms.Form = SubmitForm(request.POST, request.FILES)
            if not form.is_valid():
                raise ValidationError(_form_errors(form))
            services.submit_claim(
                actor=user, claim=claim, certificate=form.cleaned_data["certificate"],
                declaration=form.cleaned_data["declaration"],
            )  # fmt: skip
        elif action == "start_verification":
            services.start_verification(actor=user, claim=claim)
        elif action == "verify":
            services.verify_claim(
                actor=user, claim=claim, remarks=request.POST.get("remarks", ""),
                feedstock_note=request.POST.get("feedstock_note", ""),
            )  # fmt: skip
        elif action == "approve":
            services.approve_claim(actor=user, claim=claim)
        else:
            service = {
                "reopen": services.reopen_claim,
                "return": services.return_claim,
                "reject": services.reject_claim,
            }[action]
            service(actor=user, claim=claim, reason=request.POST.get("reason", ""))
    except ValidationError as exc:
        flash_errors(request, exc)
    else:
        messages.success(
            request, _("%(claim)s: %(done)s.") % {"claim": claim, "done": DONE[action]}
        )
    return redirect("claim_detail", claim_id=claim.pk)


def _declare(request, claim: Claim) -> None:
    """The feedstock formset's filled rows, numbered as the page shows them, go to the service whole."""
    formset = feedstock_formset(data=request.POST)
    if not formset.is_valid():
        errors = [
            _("Row %(row)s: %(error)s") % {"row": n, "error": e}
            for n, f in enumerate(formset.forms, 1)
            for e in _form_errors(f)
        ]
        raise ValidationError(errors + list(formset.non_form_errors()))
    rows = [
        {**form.cleaned_data, "row": number}
        for number, form in enumerate(formset.forms, start=1)
        if not form.is_blank
    ]
    services.declare_feedstock(actor=request.user, claim=claim, rows=rows)


def _adjust(request, claim: Claim):
    """An adjustment from the verification panel; with htmx, the panel comes back with new totals."""
    form = AdjustForm(request.POST)
    errors: list[str] = []
    if form.is_valid():
        try:
            services.adjust_line(
                actor=request.user, claim=claim, row=form.cleaned_data["row"],
                kind=form.cleaned_data["kind"], reason=form.cleaned_data["reason"],
                quantity_kg=form.cleaned_data["quantity_kg"],
                net_sales_value=form.cleaned_data["net_sales_value"],
            )  # fmt: skip
        except ValidationError as exc:
            errors = exc.messages
        else:
            form = AdjustForm()
    else:
        errors = _form_errors(form)
    if request.headers.get("HX-Request"):
        claim.refresh_from_db()
        context = _verification_context(request, claim, adjust_form=form)
        return render(request, "claims/_verification.html", {**context, "errors": errors})
    if errors:
        for message in errors:
            messages.error(request, message)
    else:
        messages.success(request, _("%(claim)s: the line's adjustment is kept.") % {"claim": claim})
    return redirect("claim_detail", claim_id=claim.pk)


@login_required
def claim_document(request, claim_id: int, document_id: int):
    """A document the firm submitted, with its SHA-256."""
    document = selectors.document_for(request.user, claim_id, document_id)
    response = FileResponse(
        document.file.open("rb"), as_attachment=True, filename=document.original_name,
        content_type=document.content_type,
    )  # fmt: skip
    response["X-Content-SHA256"] = document.sha256
    return response


@login_required
def claim_lines_csv(request, claim_id: int):
    """Every current line of a claim as CSV; text that looks like a formula is neutralised."""
    claim = selectors.claim_for(request.user, claim_id)
    header = [
        "row", "invoice_number", "invoice_date", "buyer_name", "buyer_gstin", "export_country",
        "hsn_code", "magnet_grade", "quantity_kg", "net_sales_value", "credit_note_ref",
        "related_party", "unit_value_outlier", "plant",
    ]  # fmt: skip
    rows = claim.lines.order_by("row").values_list(*header).iterator(chunk_size=10_000)
    response = StreamingHttpResponse(csv_rows(header, rows), content_type="text/csv; charset=utf-8")
    name = f"claim-{claim.pk}-{claim.quarter_label.replace(' ', '-')}-lines.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def template_download(request, fmt: str):
    if fmt == "xlsx":
        return _attachment(
            template_xlsx(),
            "repm-sales-claim-template.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    return _attachment(template_csv(), "repm-sales-claim-template.csv", "text/csv; charset=utf-8")


def column_dictionary(request):
    return render(
        request,
        "claims/columns.html",
        {
            "columns": COLUMNS,
            "date_formats": DATE_FORMATS,
            "limit_mb": services.max_upload_bytes() // services.MiB,
            "max_rows": services.max_rows(),
        },
    )


def _attachment(data: bytes, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
