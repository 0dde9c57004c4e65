"""Pages of the capital subsidy: parse the request, call a service or selector, render."""

from __future__ import annotations

import base64
import csv
import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from incentives.capital import columns, selectors, services
from incentives.capital.forms import LedgerUploadForm, ReasonForm, VerifyForm
from incentives.capital.models import CapitalSubsidyClaim
from incentives.capital.reading import LedgerRejected, RowError
from repm_portal.exports import csv_rows, safe_cell
from repm_portal.forms import attach_errors, flash_errors
from repm_portal.roles import READ_ALL_ROLES, Role, has_role
from repm_portal.viewer_cache import viewer_cached

LINES_SHOWN = 500
ERRORS_SHOWN = 200
ERROR_HEADER = ["row", "column", "value", "rule", "message"]


def error_report_csv(errors: list[RowError]) -> bytes:
    """The errors of a refused ledger as CSV, every text cell neutralised against formulas."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow(ERROR_HEADER)
    for error in errors:
        writer.writerow(
            [
                safe_cell(v)
                for v in (error.row or "", error.column, error.value, error.rule, error.message)
            ]
        )
    return buffer.getvalue().encode("utf-8")


@login_required
@viewer_cached
def claim_list(request):
    user = request.user
    if not has_role(user, Role.FIRM_USER, *READ_ALL_ROLES):
        raise PermissionDenied("Capital subsidy claims are for firms and ministry staff.")
    claims = selectors.claims_visible_to(user)
    status = request.GET.get("status", "")
    if status in CapitalSubsidyClaim.Status.values:
        claims = claims.filter(status=status)
    context = {
        "claims": list(claims[:200]),
        "awards": selectors.claimable_awards(user),
        "waiting": list(selectors.waiting_for(user)[:50]),
        "statuses": CapitalSubsidyClaim.Status.choices,
        "status": status,
        "is_firm": has_role(user, Role.FIRM_USER),
    }
    return render(request, "capital/claim_list.html", context)


@login_required
def upload(request, award_id: int):
    award = selectors.award_for_claim(request.user, award_id)
    plant = selectors.plant_of(award)
    form = LedgerUploadForm(request.POST or None, request.FILES or None)
    errors: list[RowError] = []
    if request.method == "POST" and form.is_valid():
        try:
            claim = services.upload_ledger(
                actor=request.user,
                award=award,
                ledger_file=form.cleaned_data["ledger"],
                certificate_file=form.cleaned_data.get("certificate"),
            )
        except LedgerRejected as rejected:
            errors = rejected.errors
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            ineligible = claim.line_count - selectors.lines_of(claim).filter(eligible=True).count()
            messages.success(
                request,
                _(
                    "Ledger taken: %(lines)s lines, %(ineligible)s judged not eligible. "
                    "Check them, then submit the claim for verification."
                )
                % {"lines": claim.line_count, "ineligible": ineligible},
            )
            return redirect("capital_claim_detail", claim_id=claim.pk)
    report = ""
    if errors:
        report = "data:text/csv;charset=utf-8;base64," + base64.b64encode(
            error_report_csv(errors)
        ).decode("ascii")
    return render(
        request,
        "capital/upload.html",
        {
            "award": award,
            "plant": plant,
            "form": form,
            "errors": errors[:ERRORS_SHOWN],
            "error_count": len(errors),
            "error_report": report,
        },
        status=400 if errors else 200,
    )


def _detail_context(request, claim: CapitalSubsidyClaim) -> dict:
    user = request.user
    lines = selectors.lines_of(claim).select_related("excluded_by")
    return {
        "claim": claim,
        "award": claim.award,
        "plant": selectors.plant_of(claim.award),
        "lines": list(lines[:LINES_SHOWN]),
        "lines_shown": LINES_SHOWN,
        "ineligible_count": lines.filter(eligible=False).count(),
        "excluded_count": lines.filter(excluded=True).count(),
        "documents": selectors.documents_of(claim),
        "letters": selectors.letters_of(claim),
        "estimate": selectors.estimate(claim),
        "slab": selectors.figure(claim, eligible=claim.eligible_total).slab
        if claim.line_count
        else None,
        "can": services.can_act(user, claim),
        "is_approver": has_role(user, Role.APPROVER),
        "is_verifier": has_role(user, Role.VERIFIER),
        "verify_form": VerifyForm(),
        "reason_form": ReasonForm(),
    }


@login_required
def claim_detail(request, claim_id: int):
    claim = selectors.claim_for(request.user, claim_id)
    return render(request, "capital/claim_detail.html", _detail_context(request, claim))


ACTIONS = ("submit", "verify", "return", "reject", "approve", "send_back")
# How the flash message names a decision (English as before, Hindi from the catalogue).
ACTION_WORDS = {
    "return": gettext_lazy("return"),
    "reject": gettext_lazy("reject"),
    "send_back": gettext_lazy("send back"),
}


@login_required
@require_POST
def claim_action(request, claim_id: int, action: str):
    claim = selectors.claim_for(request.user, claim_id)
    user = request.user
    if action not in ACTIONS:
        raise PermissionDenied("No such action.")
    try:
        if action == "submit":
            services.submit_claim(actor=user, claim=claim)
            messages.success(
                request,
                _("Claim %(reference)s is submitted for verification.")
                % {"reference": claim.reference},
            )
        elif action == "verify":
            form = VerifyForm(request.POST)
            form.is_valid()
            services.verify_claim(
                actor=user,
                claim=claim,
                exclusions=form.exclusions(request.POST),
                remarks=form.cleaned_data.get("remarks", ""),
            )
            messages.success(
                request,
                _("Claim %(reference)s is verified; it waits for approval.")
                % {"reference": claim.reference},
            )
        elif action == "approve":
            services.approve_claim(actor=user, claim=claim)
            messages.success(
                request,
                _("Claim %(reference)s is approved; its sanction letter is being issued.")
                % {"reference": claim.reference},
            )
        else:
            reason = request.POST.get("reason", "")
            service = {
                "return": services.return_claim,
                "reject": services.reject_claim,
                "send_back": services.send_back,
            }[action]
            service(actor=user, claim=claim, reason=reason)
            messages.success(
                request,
                _("Claim %(reference)s: done (%(action)s).")
                % {"reference": claim.reference, "action": ACTION_WORDS[action]},
            )
    except ValidationError as exc:
        flash_errors(request, exc)
    return redirect("capital_claim_detail", claim_id=claim.pk)


def _line_row(line) -> list:
    return [
        line.row_number, line.item, line.get_head_display(), line.vendor, line.invoice_number,
        line.invoice_date.isoformat(), str(line.amount), "yes" if line.eligible else "no",
        line.reason, "yes" if line.excluded else "no", line.exclusion_reason,
    ]  # fmt: skip


@login_required
def lines_csv(request, claim_id: int):
    claim = selectors.claim_for(request.user, claim_id)
    header = [
        "row", "item", "head", "vendor", "invoice_number", "invoice_date", "amount",
        "eligible", "reason", "excluded", "exclusion_reason",
    ]  # fmt: skip
    rows = (_line_row(line) for line in selectors.lines_of(claim).iterator())
    response = StreamingHttpResponse(csv_rows(header, rows), content_type="text/csv; charset=utf-8")
    name = claim.reference.replace("/", "-")
    response["Content-Disposition"] = f'attachment; filename="{name}-lines.csv"'
    return response


@login_required
def document(request, claim_id: int, document_id: int):
    doc = selectors.document_for(request.user, claim_id, document_id)
    return FileResponse(
        doc.file.open("rb"),
        as_attachment=True,
        filename=doc.original_name,
        content_type=doc.content_type,
    )


@login_required
def ledger_template(request):
    return render(
        request,
        "capital/template.html",
        {
            "columns": columns.COLUMNS,
            "heads": columns.HEAD_SPELLINGS,
            "formats": columns.DATE_FORMATS,
        },
    )


@login_required
def ledger_template_csv(request):
    response = HttpResponse(columns.template_csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="investment-ledger-template.csv"'
    return response


@login_required
def ledger_template_xlsx(request):
    response = HttpResponse(columns.template_xlsx(), content_type=services.XLSX)
    response["Content-Disposition"] = 'attachment; filename="investment-ledger-template.xlsx"'
    return response
