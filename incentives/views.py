"""Pages of the money core: sanction letters and payments, the ledger, and public letter checks."""

from __future__ import annotations

import hashlib

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from incentives import ledger, sanctions, selectors, services
from incentives.forms import CorrectionForm, LedgerFilterForm, PaymentForm, VerifyLetterForm
from incentives.models import LedgerEntry, SanctionLetter
from repm_portal import request_memo
from repm_portal.exports import csv_rows
from repm_portal.forms import attach_errors
from repm_portal.roles import READ_ALL_ROLES, Role, has_role
from repm_portal.viewer_cache import viewer_cached

PAGE_SIZE = 50  # rows on a page of the ledger and of the sanction letters
LEDGER_COLUMNS = [
    "id", "posted_at", "kind", "account", "pool", "amount", "tender", "award", "beneficiary",
    "claim_type", "claim_id", "rule_set_version", "letter", "document_ref", "source_key",
    "reverses", "award_cap", "narration", "posted_by",
]  # fmt: skip
MAX_VERIFY_BYTES = 20 * 1024 * 1024


def _letter_for(user, letter_id: int) -> SanctionLetter:
    letter = selectors.letters_visible_to(user).filter(pk=letter_id).first()
    if letter is None:
        raise Http404("No such sanction letter")
    return letter


_LETTER_SHOWN = (
    "id", "number", "reverses_id", "status", "dated", "amount", "deducted", "content",
    "award__rank", "award__tender__reference", "award__bid__consortium__name",
    "award__bid__firm__legal_name", "rule_set__payment_sla_days",
)  # fmt: skip


def _pools() -> list[selectors.PoolPosition]:
    # As on the dashboard: the pools' balances in one query for all pools, not one per pool.
    with request_memo.scope():
        return selectors.pool_positions()


def _correction(letter: SanctionLetter) -> SanctionLetter | None:
    return getattr(letter, "reversed_by", None)


@login_required
@viewer_cached
def sanction_list(request):
    today = timezone.localdate()
    letters = selectors.with_corrections(selectors.letters_visible_to(request.user)).order_by(
        "-dated", "-serial", "-pk"
    )
    # A page of letters at a time, as the ledger (the pools above cover every letter).
    # Only the columns the rows show and the payment position reads (not the rule set's
    # figures, the firms' and tenders' other columns, or the letters' files and hashes).
    letters = letters.only(*_LETTER_SHOWN)
    page = Paginator(letters, PAGE_SIZE).get_page(request.GET.get("page"))
    # The correcting letter read here, not in the template: a letter without one made each row's
    # lookup fail through an exception and a dir() of the model.
    rows = [
        (letter, selectors.payment_position(letter, today=today), _correction(letter))
        for letter in page
    ]
    context = {"rows": rows, "today": today, "page": page}
    if has_role(request.user, *READ_ALL_ROLES):
        context["pools"] = _pools()
    return render(request, "incentives/sanction_list.html", context)


@login_required
def sanction_detail(request, letter_id: int):
    letter = _letter_for(request.user, letter_id)
    position = selectors.payment_position(letter)
    can_pay = has_role(request.user, *services.PAYERS)
    can_correct = has_role(request.user, Role.APPROVER, Role.ADMIN)
    payment_form = PaymentForm(
        initial={"amount": position.pending, "paid_on": timezone.localdate()}
    )
    correction_form = CorrectionForm()
    if request.method == "POST" and request.POST.get("action") == "pay":
        payment_form = PaymentForm(request.POST)
        if payment_form.is_valid():
            data = payment_form.cleaned_data
            try:
                payment = services.record_payment(
                    actor=request.user,
                    letter=letter,
                    amount=data["amount"],
                    paid_on=data["paid_on"],
                    utr=data["utr"],
                    remarks=data["remarks"],
                )
            except ValidationError as exc:
                attach_errors(payment_form, exc)
            else:
                messages.success(request, _("Payment %(utr)s recorded.") % {"utr": payment.utr})
                return redirect("sanction_detail", letter_id=letter.pk)
    elif request.method == "POST" and request.POST.get("action") == "correct":
        correction_form = CorrectionForm(request.POST)
        if correction_form.is_valid():
            try:
                sanctions.request_correction(
                    letter=letter, actor=request.user, reason=correction_form.cleaned_data["reason"]
                )
            except ValidationError as exc:
                attach_errors(correction_form, exc)
            else:
                messages.success(
                    request, _("A correcting letter is being issued; it will reverse this one.")
                )
                return redirect("sanction_detail", letter_id=letter.pk)
    kind = sanctions.registered(letter.claim_type)
    return render(request, "incentives/sanction_detail.html", {
        "letter": letter, "c": letter.content, "position": position,
        "payments": list(letter.payments.select_related("recorded_by")),
        "entries": list(letter.entries.select_related("reverses").order_by("id")),
        "correction": getattr(letter, "reversed_by", None),
        "can_pay": can_pay and position.pending > 0 and letter.status == "issued",
        "can_correct": can_correct and letter.status == "issued",
        "payment_form": payment_form, "correction_form": correction_form,
        "claim_url": kind.detail_url(letter.claim_id) if kind and kind.detail_url else None,
        "verify_url": sanctions.verification_url(letter),
    })  # fmt: skip


@login_required
def sanction_status(request, letter_id: int):
    letter = _letter_for(request.user, letter_id)
    response = render(request, "incentives/_letter_status.html", {"letter": letter})
    if request.headers.get("HX-Request") and letter.status == SanctionLetter.Status.ISSUED:
        # The page was waiting for the PDF: reload it whole, so the forms that need an issued
        # letter (payment, correction) appear.
        response["HX-Refresh"] = "true"
    return response


@login_required
def sanction_letter_pdf(request, letter_id: int):
    letter = _letter_for(request.user, letter_id)
    if letter.status != SanctionLetter.Status.ISSUED:
        raise Http404("The letter is not issued yet")
    response = FileResponse(letter.file.open("rb"), content_type="application/pdf")
    disposition = "attachment" if request.GET.get("download") else "inline"
    response["Content-Disposition"] = (
        f'{disposition}; filename="{letter.number.replace("/", "-")}.pdf"'
    )
    response["X-Content-SHA256"] = letter.sha256
    return response


@login_required
@viewer_cached
def ledger_list(request):
    if not (has_role(request.user, *READ_ALL_ROLES) or has_role(request.user, Role.FIRM_USER)):
        raise PermissionDenied("The ledger is for ministry staff, auditors and beneficiaries.")
    form = LedgerFilterForm(request.GET or None)
    entries = form.apply(selectors.entries_visible_to(request.user)).order_by("-posted_at", "-id")
    # A page of entries at a time (the totals above and the CSV export cover every entry).
    # The rows read only the columns the table shows: not the letter's stored figures (JSON),
    # the rule set's, or the users, firms and tenders beyond the names shown.
    shown = entries.select_related(None).select_related(*selectors.AWARD_AND_RULES)
    shown = shown.only(*_LEDGER_SHOWN)
    page = Paginator(shown, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "entries": page.object_list,
        "count": page.paginator.count,
        "query": query.urlencode(),
    }
    if has_role(request.user, *READ_ALL_ROLES):
        context["pools"] = _pools()
    else:
        context["mine"] = ledger.balances_of(entries)
    return render(request, "incentives/ledger.html", context)


_LEDGER_SHOWN = (
    "id", "posted_at", "kind", "reverses_id", "pool", "amount", "letter_id", "document_ref",
    "narration", "award__rank", "award__tender__reference", "award__bid__consortium__name",
    "award__bid__firm__legal_name", "rule_set__version",
)  # fmt: skip


def _ledger_row(e: LedgerEntry) -> list:
    return [
        e.pk, timezone.localtime(e.posted_at).isoformat(), e.kind, e.account, e.pool, str(e.amount),
        e.award.tender.reference, e.award.label, e.award.bid.bidder_name, e.claim_type, e.claim_id,
        e.rule_set.version, e.letter.number if e.letter_id else "", e.document_ref, e.source_key,
        e.reverses_id or "", "" if e.award_cap is None else str(e.award_cap), e.narration,
        e.posted_by.username if e.posted_by_id else "system",
    ]  # fmt: skip


@login_required
def ledger_export(request):
    if not (has_role(request.user, *READ_ALL_ROLES) or has_role(request.user, Role.FIRM_USER)):
        raise PermissionDenied("The ledger is for ministry staff, auditors and beneficiaries.")
    form = LedgerFilterForm(request.GET or None)
    entries = form.apply(selectors.entries_visible_to(request.user)).order_by("id")
    response = StreamingHttpResponse(
        csv_rows(LEDGER_COLUMNS, (_ledger_row(e) for e in entries.iterator(chunk_size=2000))),
        content_type="text/csv; charset=utf-8",
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="repm-ledger-{stamp}.csv"'
    return response


def _digest(form: VerifyLetterForm) -> str | None:
    upload = form.cleaned_data["pdf"]
    if upload.size > MAX_VERIFY_BYTES:
        form.add_error("pdf", "That file is far larger than any letter the portal issues.")
        return None
    sha = hashlib.sha256()
    for chunk in upload.chunks():
        sha.update(chunk)
    return sha.hexdigest()


def _verify_page(request, letter: SanctionLetter, form, match, digest):
    return render(request, "incentives/letter_verify.html", {
        "letter": letter, "c": letter.content, "form": form, "match": match, "digest": digest,
        "correction": getattr(letter, "reversed_by", None),
    })  # fmt: skip


_LETTERS = SanctionLetter.objects.select_related("award__tender", "award__bid__firm", "reverses")


def letter_verify(request, token: str):
    """Public, by the unguessable token of the letter's QR: its figures, status and PDF hash."""
    letter = get_object_or_404(_LETTERS, verify_token=token)
    form = VerifyLetterForm(request.POST or None, request.FILES or None)
    match = digest = None
    if request.method == "POST" and form.is_valid():
        digest = _digest(form)
        match = digest == letter.sha256 if digest else None
    return _verify_page(request, letter, form, match, digest)


def letter_check(request, number: str = ""):
    """Public, without the token: upload the PDF and it is found by its SHA-256.

    A letter number alone tells nothing: every number, issued or not, gets this same page, so
    the letters cannot be listed by counting through their numbers.
    """
    form = VerifyLetterForm(request.POST or None, request.FILES or None)
    digest = None
    if request.method == "POST" and form.is_valid():
        digest = _digest(form)
        letter = _LETTERS.filter(sha256=digest).first() if digest else None
        if letter is not None:
            return _verify_page(request, letter, VerifyLetterForm(), True, digest)
    return render(request, "incentives/letter_check.html", {"form": form, "digest": digest})


@login_required
@require_POST
def sanction_retry(request, letter_id: int):
    """Staff nudge a letter whose rendering failed; the task renders it from its stored figures."""
    if not has_role(request.user, Role.OFFICIAL, Role.ADMIN, Role.APPROVER):
        raise PermissionDenied("Only officials may retry a letter.")
    letter = _letter_for(request.user, letter_id)
    from incentives import tasks

    tasks.render_sanction_letter.delay(letter.pk)
    messages.info(request, _("Rendering of %(number)s queued again.") % {"number": letter.number})
    return redirect("sanction_detail", letter_id=letter.pk)
