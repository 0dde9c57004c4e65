"""Pages of the bidding phase: parse the request, call a service or selector, render."""

from __future__ import annotations

import io
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_POST

from beneficiaries.selectors import consortia_visible_to
from bidding import ocds, selectors, services
from bidding.forms import (
    AnswerForm,
    BidForm,
    CorrigendumForm,
    DocumentForm,
    EvaluationForm,
    QueryForm,
    ReturnForm,
    TenderForm,
)
from bidding.models import AwardLetter, Stage, TechnicalEvaluation, Tender, TenderAllocation
from repm_portal import public_cache
from repm_portal.exports import csv_rows, safe_cell
from repm_portal.forms import attach_errors, flash_errors
from repm_portal.money import crore
from repm_portal.roles import READ_ALL_ROLES, Role, has_role, require_role
from repm_portal.viewer_cache import viewer_cached

# Tenders


@login_required
@viewer_cached
def tender_list(request):
    tenders = list(selectors.tenders_visible_to(request.user))
    now = timezone.now()
    rows = [(t, selectors.phase(t, now=now)) for t in tenders]
    can_create = has_role(request.user, *services.TENDER_MANAGERS)
    return render(request, "bidding/tender_list.html", {"rows": rows, "can_create": can_create})


@login_required
def tender_create(request):
    require_role(request.user, *services.TENDER_MANAGERS, action="create a tender")
    form = TenderForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            data = form.cleaned_data
            tender = services.create_tender(
                actor=request.user,
                reference=data["reference"],
                title=data["title"],
                description=data["description"],
                kind=data["kind"],
                parent=data["parent"],
                capacity_mtpa=data["capacity_mtpa"],
                slots=data["slots"],
                oxide_mtpa=data["oxide_mtpa"],
                timeline=form.timeline(),
                prebid_meeting_place=data["prebid_meeting_place"],
                committee=list(data["committee"]),
                documents=form.documents(),
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(
                request,
                _("Tender %(ref)s drafted. Check it, then publish.") % {"ref": tender.reference},
            )
            return redirect("tender_detail", tender_id=tender.pk)
    return render(request, "bidding/tender_form.html", {"form": form})


@login_required
def tender_detail(request, tender_id: int):
    tender = selectors.tender_for(request.user, tender_id)
    user = request.user
    now = timezone.now()
    bid = selectors.my_bid(user, tender)
    context = {
        "tender": tender,
        "phase": selectors.phase(tender, now=now),
        "open_for_bids": selectors.is_open_for_bids(tender, now=now),
        "versions": selectors.versions_of(tender),
        "documents": selectors.documents_of(tender),
        "queries": selectors.queries_for(user, tender),
        "answered": selectors.answered_queries(tender),
        "committee": selectors.committee_of(tender),
        "is_manager": has_role(user, *services.TENDER_MANAGERS),
        "is_firm": has_role(user, Role.FIRM_USER),
        "is_staff_reader": has_role(user, *READ_ALL_ROLES),
        "is_committee": selectors.is_committee_member(user, tender),
        "can_change_committee": tender.status == Tender.Status.DRAFT
        or (
            tender.status == Tender.Status.PUBLISHED
            and now < tender.bids_due
            and not tender.bids.exists()
        ),
        "bid": bid,
        "bid_version": selectors.final_version(bid) if bid else None,
        "queries_open": tender.status == Tender.Status.PUBLISHED and now <= tender.queries_due,
        "opened": tender.status in selectors.OPENED_STATUSES,
        "query_form": QueryForm(),
    }
    return render(request, "bidding/tender_detail.html", context)


@login_required
@require_POST
def tender_publish(request, tender_id: int):
    tender = selectors.tender_for(request.user, tender_id)
    try:
        services.publish_tender(actor=request.user, tender=tender)
    except ValidationError as exc:
        flash_errors(request, exc)
    else:
        messages.success(
            request,
            _("%(ref)s is published; registered firms are being told.") % {"ref": tender.reference},
        )
    return redirect("tender_detail", tender_id=tender.pk)


@login_required
@require_POST
def tender_cancel(request, tender_id: int):
    tender = selectors.tender_for(request.user, tender_id)
    try:
        services.cancel_tender(
            actor=request.user, tender=tender, reason=request.POST.get("reason", "")
        )
    except ValidationError as exc:
        flash_errors(request, exc)
    else:
        messages.success(request, _("%(ref)s is cancelled.") % {"ref": tender.reference})
    return redirect("tender_detail", tender_id=tender.pk)


@login_required
def tender_document_add(request, tender_id: int):
    tender = selectors.tender_for(request.user, tender_id)
    require_role(request.user, *services.TENDER_MANAGERS, action="attach tender documents")
    form = DocumentForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.add_tender_document(
                actor=request.user,
                tender=tender,
                title=form.cleaned_data["title"],
                upload=form.cleaned_data["file"],
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, _("Document attached."))
            return redirect("tender_detail", tender_id=tender.pk)
    return render(
        request,
        "bidding/simple_form.html",
        {"form": form, "tender": tender, "heading": _("Attach an RFP document"), "multipart": True},
    )


def _download(document) -> FileResponse:
    """A stored document, under the name it was uploaded with, as an attachment."""
    return FileResponse(
        document.file.open("rb"),
        as_attachment=True,
        filename=document.original_name,
        content_type=document.content_type,
    )


def tender_document(request, tender_id: int, document_id: int):
    """RFP documents of a published tender are public; drafts' only to staff."""
    document = selectors.document_for(request.user, tender_id, document_id)
    return _download(document)


@login_required
def corrigendum_new(request, tender_id: int):
    tender = selectors.tender_for(request.user, tender_id)
    require_role(request.user, *services.TENDER_MANAGERS, action="issue a corrigendum")
    form = CorrigendumForm(request.POST or None, request.FILES or None, tender=tender)
    if request.method == "POST" and form.is_valid():
        try:
            version = services.issue_corrigendum(
                actor=request.user,
                tender=tender,
                summary=form.cleaned_data["summary"],
                timeline=form.timeline(),
                prebid_meeting_place=form.cleaned_data["prebid_meeting_place"],
                documents=form.documents(),
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(
                request,
                _("Corrigendum %(n)s issued; registered firms are being told.")
                % {"n": version.number - 1},
            )
            return redirect("tender_detail", tender_id=tender.pk)
    return render(
        request,
        "bidding/simple_form.html",
        {"form": form, "tender": tender, "heading": _("Issue a corrigendum"), "multipart": True},
    )


@login_required
@require_POST
def query_ask(request, tender_id: int):
    tender = selectors.tender_for(request.user, tender_id)
    form = QueryForm(request.POST)
    if form.is_valid():
        try:
            services.ask_query(
                actor=request.user, tender=tender, question=form.cleaned_data["question"]
            )
        except ValidationError as exc:
            flash_errors(request, exc)
        else:
            messages.success(
                request,
                _(
                    "Your query is recorded. The answer will be published to all bidders, "
                    "without your name."
                ),
            )
    return redirect(reverse("tender_detail", args=[tender.pk]) + "#queries")


@login_required
def query_answer(request, query_id: int):
    query = selectors.query_for(request.user, query_id)
    form = AnswerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.answer_query(
                actor=request.user, query=query, answer=form.cleaned_data["answer"]
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, _("Answer published to all bidders."))
            return redirect(reverse("tender_detail", args=[query.tender_id]) + "#queries")
    return render(
        request,
        "bidding/simple_form.html",
        {
            "form": form,
            "tender": query.tender,
            "heading": _("Answer a pre-bid query"),
            "lead": query.question,
        },
    )


# Bids


@login_required
@sensitive_post_parameters("quoted_rate")
@sensitive_variables()  # innermost: every frame from here down is blanked in crash reports
def bid_form(request, tender_id: int):
    """Submit or modify the firm's bid. The rate goes straight to the sealing service."""
    tender = selectors.tender_for(request.user, tender_id)
    require_role(request.user, Role.FIRM_USER, action="bid")
    bid = selectors.my_bid(request.user, tender)
    if bid is not None and not selectors.can_change_bid(request.user, bid):
        raise PermissionDenied(
            "Your firm takes part in this bid as a consortium member; the lead submits it."
        )
    previous = selectors.final_version(bid) if bid else None
    consortia = [
        c
        for c in consortia_visible_to(request.user)
        if c.lead_id == request.user.firm_id and c.status == c.Status.FORMED
    ]
    initial = {}
    if previous is not None:
        initial = {
            "consortium": bid.consortium_id,
            "capacity_mtpa": previous.capacity_mtpa,
            "accepts_partial": previous.accepts_partial,
            "net_worth_crore": (previous.net_worth / Decimal(10_000_000)).quantize(Decimal("0.01")),
            "net_worth_as_of": previous.net_worth_as_of,
        }
    form = BidForm(
        request.POST or None,
        request.FILES or None,
        initial=initial,
        rules=tender.rule_set,
        consortia=consortia,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        consortium = next((c for c in consortia if c.pk == data["consortium"]), None)
        if data["consortium"] and consortium is None:
            form.add_error("consortium", "Choose a consortium your firm leads.")
        else:
            try:
                version = services.submit_bid(
                    actor=request.user,
                    tender=tender,
                    capacity_mtpa=data["capacity_mtpa"],
                    accepts_partial=data["accepts_partial"],
                    net_worth=crore(data["net_worth_crore"]),
                    net_worth_as_of=data["net_worth_as_of"],
                    quoted_rate=data["quoted_rate"],
                    consortium=consortium,
                    dpr=data.get("dpr"),
                    eligibility_documents=data.get("eligibility_documents") or [],
                )
            except ValidationError as exc:
                attach_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("Bid version %(n)s received and sealed. Keep your receipt %(receipt)s.")
                    % {"n": version.number, "receipt": version.receipt_number},
                )
                return redirect("receipt_page", version_id=version.pk)
    context = {"form": form, "tender": tender, "bid": bid, "previous": previous,
               "open_for_bids": selectors.is_open_for_bids(tender)}  # fmt: skip
    return render(request, "bidding/bid_form.html", context)


@login_required
def bid_detail(request, bid_id: int):
    bid = selectors.bid_for(request.user, bid_id)
    evaluation = selectors.evaluation_for_bid(request.user, bid)
    context = {
        "bid": bid,
        "tender": bid.tender,
        "versions": list(bid.versions.all()),
        "final": selectors.final_version(bid),
        "evaluation": evaluation,
        "can_change": selectors.can_change_bid(request.user, bid)
        and selectors.is_open_for_bids(bid.tender),
        "ranking": getattr(bid, "ranking", None)
        if bid.tender.status in selectors.RANKED_STATUSES
        else None,
        "award": getattr(bid, "award", None),
    }
    return render(request, "bidding/bid_detail.html", context)


@login_required
@require_POST
def bid_withdraw(request, bid_id: int):
    bid = selectors.bid_for(request.user, bid_id)
    try:
        services.withdraw_bid(actor=request.user, bid=bid)
    except ValidationError as exc:
        flash_errors(request, exc)
    else:
        messages.success(
            request, _("Your bid is withdrawn. It cannot be resubmitted on this tender.")
        )
    return redirect("bid_detail", bid_id=bid.pk)


@login_required
def bid_document(request, bid_id: int, document_id: int):
    document = selectors.bid_document_for(request.user, bid_id, document_id)
    return _download(document)


@login_required
def receipt_page(request, version_id: int):
    version = selectors.version_for(request.user, version_id)
    return render(
        request, "bidding/receipt.html", {"version": version, "receipt": selectors.receipt(version)}
    )


@login_required
def receipt_json(request, version_id: int):
    version = selectors.version_for(request.user, version_id)
    response = JsonResponse(selectors.receipt(version), json_dumps_params={"indent": 2})
    response["Content-Disposition"] = f'attachment; filename="{version.receipt_number}.json"'
    return response


@login_required
def receipt_pdf(request, version_id: int):
    from repm_portal.pdf import render_pdf

    version = selectors.version_for(request.user, version_id)
    receipt = selectors.receipt(version)
    pdf = render_pdf(
        "bidding/pdf/receipt.html",
        {"r": receipt, "version": version, "site_url": request.build_absolute_uri("/")[:-1]},
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{version.receipt_number}.pdf"'
    return response


# Opening


@sensitive_post_parameters("passphrase")
@login_required
def opening(request, tender_id: int):
    tender = selectors.tender_for(request.user, tender_id)
    if not (
        selectors.is_committee_member(request.user, tender)
        or has_role(request.user, *READ_ALL_ROLES)
    ):
        raise PermissionDenied(
            "The opening page is for the bid-opening committee and ministry staff."
        )
    if request.method == "POST":
        stage = request.POST.get("stage", "")
        try:
            done = services.confirm_opening(
                actor=request.user,
                tender=tender,
                stage=stage,
                passphrase=request.POST.get("passphrase", ""),
            )
        except ValidationError as exc:
            flash_errors(request, exc)
        else:
            if done is None:
                messages.success(
                    request,
                    _("Your confirmation is recorded; another committee member must confirm."),
                )
            else:
                messages.success(
                    request,
                    _("Quorum reached: the %(stage)s covers are open.")
                    % {"stage": _(done.get_stage_display()).lower()},
                )
        return redirect("opening", tender_id=tender.pk)
    context = {
        "tender": tender,
        "openings": selectors.openings(tender),
        "committee": selectors.committee_of(tender),
        "is_committee": selectors.is_committee_member(request.user, tender),
        "sealed_to_committee": selectors.sealed_to_committee(tender),
        "now": timezone.now(),
    }
    return render(request, "bidding/opening.html", context)


# Evaluation


@login_required
def evaluation_list(request, tender_id: int):
    tender = selectors.tender_for(request.user, tender_id)
    require_role(request.user, *READ_ALL_ROLES, action="see technical evaluations")
    context = {
        "tender": tender,
        "queue": selectors.evaluation_queue(request.user, tender),
        "can_record": has_role(request.user, Role.EVALUATOR)
        and tender.status == Tender.Status.TECHNICAL_OPENED,
        "can_approve": has_role(request.user, *services.EVALUATION_APPROVERS),
        "return_form": ReturnForm(),
    }
    return render(request, "bidding/evaluation_list.html", context)


@login_required
def evaluation_form(request, bid_id: int):
    bid = selectors.bid_for(request.user, bid_id)
    require_role(request.user, Role.EVALUATOR, action="record a technical evaluation")
    existing = selectors.evaluation_for_bid(request.user, bid)
    initial = {}
    if existing is not None:
        for r in existing.results.all():
            initial[f"{r.criterion}_result"] = "pass" if r.passed else "fail"
            initial[f"{r.criterion}_reason"] = r.reason
    form = EvaluationForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.record_evaluation(actor=request.user, bid=bid, results=form.results())
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(
                request,
                _("Evaluation of bid %(bid)s recorded; a second official must approve it.")
                % {"bid": bid.pk},
            )
            return redirect("evaluation_list", tender_id=bid.tender_id)
    final = selectors.final_version(bid)
    slab = None
    try:
        slab = bid.tender.rule_set.slab_for_capacity(final.capacity_mtpa)
    except ValueError:
        slab = None
    context = {
        "form": form,
        "bid": bid,
        "final": final,
        "existing": existing,
        "slab": slab,
        "tender": bid.tender,
    }
    return render(request, "bidding/evaluation_form.html", context)


@login_required
@require_POST
def evaluation_decide(request, evaluation_id: int):
    evaluation = selectors.evaluation_for(request.user, evaluation_id)
    try:
        if request.POST.get("decision") == "return":
            services.return_evaluation(
                actor=request.user, evaluation=evaluation, reason=request.POST.get("reason", "")
            )
            messages.success(
                request,
                _("Evaluation of bid %(bid)s returned to the evaluator.")
                % {"bid": evaluation.bid_id},
            )
        else:
            services.approve_evaluation(actor=request.user, evaluation=evaluation)
            messages.success(
                request, _("Evaluation of bid %(bid)s approved.") % {"bid": evaluation.bid_id}
            )
    except ValidationError as exc:
        flash_errors(request, exc)
    return redirect("evaluation_list", tender_id=evaluation.bid.tender_id)


# Comparative statement and award

STATEMENT_COLUMNS = [
    ("bid", "Bid"), ("bidder", "Bidder"), ("members", "Firms (equity)"), ("country", "Country"),
    ("capacity", "Bid capacity (MTPA)"), ("partial", "Accepts partial"), ("net_worth", "Net worth (Rs)"),
    ("submitted", "Final submission"), ("versions", "Versions"), ("status", "Status"),
    ("technical", "Technical result"), ("reasons", "Reasons for failure"), ("rate", "Quoted rate (Rs/kg)"),
    ("rank", "Rank"), ("outcome", "Outcome"), ("allocated", "Allocated (MTPA)"),
    ("partial_award", "Partial award"), ("oxide", "IREL oxide (MTPA)"), ("note", "Note"),
]  # fmt: skip


def _statement_values(row: selectors.StatementRow) -> list:
    return [
        row.bid_id, row.bidder, row.members, row.country, row.capacity_mtpa,
        "yes" if row.accepts_partial else "no", row.net_worth,
        timezone.localtime(row.submitted_at).strftime("%Y-%m-%d %H:%M:%S"), row.versions, row.status,
        row.technical, row.technical_reasons, row.quoted_rate, row.rank_label, row.outcome,
        row.allocated_mtpa, "yes" if row.is_partial else ("" if row.rank is None else "no"),
        row.oxide_mtpa, row.note,
    ]  # fmt: skip


@login_required
@viewer_cached
def statement(request, tender_id: int):
    tender = selectors.tender_for(request.user, tender_id)
    sort = request.GET.get("sort", "rank")
    rows = selectors.comparative_statement(request.user, tender, sort=sort)
    ranked = tender.status in selectors.RANKED_STATUSES
    context = {"tender": tender, "rows": rows, "sort": sort, "ranked": ranked}
    if request.headers.get("HX-Request"):  # the table alone, re-sorted
        return render(request, "bidding/_statement_table.html", context)
    # The allocation with its rule set in one query; the awards with what the list shows (the
    # bidder's name), not their letters or members.
    allocation = (
        TenderAllocation.objects.select_related("rule_set").filter(tender=tender).first()
        if ranked
        else None
    )
    awards = (
        list(tender.awards.select_related("bid__firm", "bid__consortium").order_by("rank"))
        if tender.status == Tender.Status.AWARDED
        else []
    )
    context |= {
        "allocation": allocation,
        "can_award": has_role(request.user, *services.TENDER_MANAGERS)
        and tender.status == Tender.Status.FINANCIAL_OPENED,
        "awards": awards,
    }
    return render(request, "bidding/statement.html", context)


def _export_name(tender: Tender, ext: str) -> str:
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return f"comparative-statement-{tender.reference.replace('/', '-')}-{stamp}.{ext}"


@login_required
def statement_csv(request, tender_id: int):
    tender = selectors.tender_for(request.user, tender_id)
    rows = selectors.comparative_statement(
        request.user, tender, sort=request.GET.get("sort", "rank")
    )
    response = StreamingHttpResponse(
        csv_rows([label for _, label in STATEMENT_COLUMNS], (_statement_values(r) for r in rows)),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{_export_name(tender, "csv")}"'
    return response


@login_required
def statement_xlsx(request, tender_id: int):
    from openpyxl import Workbook
    from openpyxl.styles import Font

    tender = selectors.tender_for(request.user, tender_id)
    rows = selectors.comparative_statement(
        request.user, tender, sort=request.GET.get("sort", "rank")
    )
    book = Workbook()
    sheet = book.active
    sheet.title = "Comparative statement"
    sheet.append([safe_cell(f"{tender.reference}: {tender.title}")])
    sheet.append(
        [
            safe_cell(
                f"Status: {tender.get_status_display()}; rule set v{tender.rule_set.version}; exported {timezone.localtime():%d %b %Y %H:%M} IST"
            )
        ]
    )
    sheet.append([label for _, label in STATEMENT_COLUMNS])
    for cell in sheet[3]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([safe_cell(v) for v in _statement_values(row)])
    for index, (key, _label) in enumerate(STATEMENT_COLUMNS, start=1):
        if key in ("net_worth", "rate", "oxide"):
            for (cell,) in sheet.iter_rows(min_row=4, min_col=index, max_col=index):
                cell.number_format = "#,##0.00" if key != "oxide" else "#,##0.000"
    sheet.freeze_panes = "C4"
    buffer = io.BytesIO()
    book.save(buffer)
    response = HttpResponse(
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{_export_name(tender, "xlsx")}"'
    return response


@login_required
@require_POST
def tender_award(request, tender_id: int):
    tender = selectors.tender_for(request.user, tender_id)
    try:
        awards = services.award_tender(actor=request.user, tender=tender)
    except ValidationError as exc:
        flash_errors(request, exc)
        return redirect("statement", tender_id=tender.pk)
    messages.success(
        request,
        _("%(n)s award(s) made; the Letters of Award are being rendered.") % {"n": len(awards)},
    )
    return redirect("award_list")


@login_required
def award_list(request):
    awards = selectors.awards_visible_to(request.user).order_by("-awarded_at", "rank")
    return render(request, "bidding/award_list.html", {"awards": awards})


@login_required
def award_detail(request, award_id: int):
    award = selectors.award_for(request.user, award_id)
    can_record = services.can_record_pbg(request.user, award)
    today = timezone.localdate()
    guarantees = list(award.guarantees.all())
    active = next((g for g in guarantees if g.status == "active"), None)
    owed = services.open_obligations(award, today)
    return render(request, "bidding/award_detail.html", {
        "award": award, "letter": getattr(award, "letter", None),
        "guarantees": guarantees, "can_record_pbg": can_record, "active_guarantee": active,
        "can_close_pbg": has_role(request.user, *services.TENDER_MANAGERS),
        "open_closure": services.open_closure(active) if active else None,
        "obligations": owed, "obligations_end_on": services.obligations_end_on(award),
        "expired_with_obligations": bool(active and active.valid_until < today and owed),
    })  # fmt: skip


@login_required
def award_letter_status(request, award_id: int):
    letter = selectors.letter_for(request.user, award_id)
    return render(request, "bidding/_letter_status.html", {"letter": letter, "award": letter.award})


@login_required
def award_letter_pdf(request, award_id: int):
    letter = selectors.letter_for(request.user, award_id)
    if letter.status != AwardLetter.Status.ISSUED:
        raise Http404("The letter is not issued yet")
    response = FileResponse(letter.file.open("rb"), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{letter.number.replace("/", "-")}.pdf"'
    response["X-Content-SHA256"] = letter.sha256
    return response


# Public pages (no login)


@public_cache.anonymous_page
def public_tender_list(request):
    now = timezone.now()
    tenders = list(selectors.public_tenders())
    request.public_cache_timeout = public_cache.timeout_for(tenders, now=now)
    rows = [(t, selectors.phase(t, now=now)) for t in tenders]
    return render(request, "bidding/public_list.html", {"rows": rows})


@public_cache.anonymous_page
def public_tender(request, tender_id: int):
    tender = selectors.public_tender(tender_id)
    now = timezone.now()
    request.public_cache_timeout = public_cache.timeout_for([tender], now=now)
    commitment = request.GET.get("commitment", "").strip()
    check = selectors.verify_commitment(tender, commitment, now=now) if commitment else None
    if request.headers.get("HX-Request") and commitment:
        return render(
            request, "bidding/_verify_result.html", {"check": check, "commitment": commitment}
        )
    openings = selectors.openings(tender)
    context = {
        "tender": tender,
        "phase": selectors.phase(tender, now=now),
        "versions": selectors.versions_of(tender),
        "documents": selectors.documents_of(tender),
        "answered": selectors.answered_queries(tender),
        "commitments": selectors.commitments(tender, now=now, opened_views=openings),
        "openings": openings,
        "rankings": selectors.rankings_of(tender),
        "awards": selectors.public_awards(tender),
        "allocation": getattr(tender, "allocation", None)
        if tender.status in selectors.RANKED_STATUSES
        else None,
        "check": check,
        "commitment": commitment,
        "disqualified": tender.disqualified_count  # type: ignore[attr-defined]
        if tender.status in selectors.OPENED_STATUSES
        else None,
        "stages": Stage,
        "evaluation_statuses": TechnicalEvaluation.Status,
        "ocid": ocds.ocid(tender),
    }
    return render(request, "bidding/public_tender.html", context)
