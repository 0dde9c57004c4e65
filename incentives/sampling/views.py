"""Pages of post-payment sampling: parse the request, call a service or selector, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from incentives import sanctions
from incentives.sampling import selectors, services
from incentives.sampling.forms import DrawForm, FindingForm, OpenRecoveryForm
from incentives.sampling.models import Outcome, Sample, SampledClaim
from repm_portal.forms import attach_errors, flash_errors
from repm_portal.roles import AnyUser, has_role


def _require_reader(user: AnyUser) -> None:
    if not selectors.can_read(user):
        raise PermissionDenied(
            _("Samples are the auditors' working papers: auditors and officials only.")
        )


def _sample(request: HttpRequest, sample_id: int) -> Sample:
    _require_reader(request.user)
    sample = selectors.sample_for(request.user, sample_id)
    if sample is None:
        raise Http404("No such sample.")
    return sample


def _claim(request: HttpRequest, claim_id: int) -> SampledClaim:
    _require_reader(request.user)
    claim = selectors.claim_for(request.user, claim_id)
    if claim is None:
        raise Http404("No such sampled claim.")
    return claim


@login_required
def sample_list(request: HttpRequest) -> HttpResponse:
    _require_reader(request.user)
    context = {
        "samples": list(selectors.samples_visible_to(request.user)[:200]),
        "can_draw": has_role(request.user, *selectors.AUDITORS),
        "awaiting": list(selectors.findings_awaiting_recovery(request.user)[:50]),
    }
    return render(request, "sampling/sample_list.html", context)


@login_required
def sample_draw(request: HttpRequest) -> HttpResponse:
    _require_reader(request.user)
    if not has_role(request.user, *selectors.AUDITORS):
        raise PermissionDenied(_("Only an auditor draws a sample."))
    years = selectors.payment_years()
    form = DrawForm(request.POST or None, years=years)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            sample = services.draw_sample(
                actor=request.user,
                financial_year=data["financial_year"],
                kinds=data["kinds"],
                floor_pct=data["floor_pct"],
                seed=data["seed"],
                rationale=data["rationale"],
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(
                request,
                _("Sample %(pk)s is drawn: %(n)s claims of %(total)s, seed %(seed)s.")
                % {"pk": sample.pk, "n": sample.sampled_count, "total": sample.population_count,
                   "seed": sample.seed},
            )  # fmt: skip
            return redirect("sample_detail", sample_id=sample.pk)
    status = 400 if form.errors else 200
    return render(
        request, "sampling/sample_draw.html", {"form": form, "years": years}, status=status
    )


def _claim_rows(sample: Sample) -> list[dict]:
    rows = []
    for claim in selectors.claims_of(sample):
        findings = list(claim.findings.all())
        rows.append(
            {
                "claim": claim,
                "title": selectors.kind_title(claim.claim_type),
                "url": selectors.claim_url(claim.claim_type, claim.claim_id),
                "findings": findings,
                "latest": findings[-1] if findings else None,
            }
        )
    return rows


@login_required
def sample_detail(request: HttpRequest, sample_id: int) -> HttpResponse:
    sample = _sample(request, sample_id)
    context = {
        "sample": sample,
        "strata": list(sample.strata.select_related("award__bid").order_by("position")),
        "rows": _claim_rows(sample),
        "check": selectors.redraw_check(sample),
        "kinds": [selectors.kind_title(k) for k in sample.kinds],
    }
    return render(request, "sampling/sample_detail.html", context)


def _claim_page(
    request: HttpRequest,
    claim: SampledClaim,
    form: FindingForm | None = None,
    recovery_forms: dict[int, OpenRecoveryForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    item = next(
        (i for i in selectors.stored_population(claim.sample)
         if i.key == (claim.claim_type, claim.claim_id)),
        None,
    )  # fmt: skip
    findings = list(
        claim.findings.select_related("recorded_by").prefetch_related(
            "recoveries__recovery", "recoveries__opened_by"
        )
    )
    can_open = has_role(user, *selectors.OPENERS)
    rows = []
    for finding in findings:
        form_for_it = None
        if (
            can_open
            and finding.outcome == Outcome.RECOVERY
            and selectors.live_recovery_of(finding) is None
        ):
            form_for_it = (recovery_forms or {}).get(finding.pk) or OpenRecoveryForm(
                prefix=f"f{finding.pk}",
                initial={
                    "reason": _("Field check of sample %(s)s found: %(text)s")
                    % {"s": claim.sample_id, "text": finding.text},
                    "pools": [_pool_of(claim)],
                    "as_of": timezone.localdate(),
                },
            )
        rows.append((finding, form_for_it))
    context = {
        "claim": claim,
        "sample": claim.sample,
        "title": selectors.kind_title(claim.claim_type),
        "url": selectors.claim_url(claim.claim_type, claim.claim_id),
        "payments": item.payments if item else (),
        "findings": rows,
        "form": (form or FindingForm()) if has_role(user, *selectors.AUDITORS) else None,
    }
    return render(request, "sampling/claim_detail.html", context, status=status)


def _pool_of(claim: SampledClaim) -> str:
    kind = sanctions.registered(claim.claim_type)
    return kind.pool if kind is not None else ""


@login_required
def claim_detail(request: HttpRequest, claim_id: int) -> HttpResponse:
    claim = _claim(request, claim_id)
    if request.method != "POST":
        return _claim_page(request, claim)
    if not has_role(request.user, *selectors.AUDITORS):
        raise PermissionDenied(_("Only an auditor records a finding."))
    form = FindingForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        try:
            finding = services.record_finding(
                actor=request.user,
                claim=claim,
                outcome=data["outcome"],
                text=data["text"],
                amount_at_issue=data["amount_at_issue"],
                evidence=data["evidence"],
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, _("Finding %(pk)s is recorded.") % {"pk": finding.pk})
            return redirect("sample_claim", claim_id=claim.pk)
    return _claim_page(request, claim, form=form, status=400)


@login_required
def finding_evidence(request: HttpRequest, finding_id: int) -> FileResponse:
    _require_reader(request.user)
    finding = selectors.finding_for(request.user, finding_id)
    if finding is None or not finding.evidence:
        raise Http404("No such evidence.")
    response = FileResponse(
        finding.evidence.open("rb"),
        content_type=finding.evidence_type,
        as_attachment=finding.evidence_type != "application/pdf",
        filename=finding.evidence_name,
    )
    response["X-Content-SHA256"] = finding.evidence_sha256
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_POST
def finding_open_recovery(request: HttpRequest, finding_id: int) -> HttpResponse:
    _require_reader(request.user)
    finding = selectors.finding_for(request.user, finding_id)
    if finding is None:
        raise Http404("No such finding.")
    if not has_role(request.user, *selectors.OPENERS):
        raise PermissionDenied(_("Only a ministry official opens a recovery from a finding."))
    form = OpenRecoveryForm(request.POST, prefix=f"f{finding.pk}")
    if form.is_valid():
        data = form.cleaned_data
        try:
            recovery = services.open_recovery(
                actor=request.user,
                finding=finding,
                reason=data["reason"],
                pools=data["pools"],
                as_of=data["as_of"],
                invoke_guarantee=data["invoke_guarantee"],
            )
        except ValidationError as exc:
            if form.is_bound and hasattr(exc, "error_dict"):
                attach_errors(form, exc)
                return _claim_page(
                    request, finding.claim, recovery_forms={finding.pk: form}, status=400
                )
            flash_errors(request, exc)
            return redirect("sample_claim", claim_id=finding.claim_id)
        messages.success(
            request,
            _("Recovery %(pk)s is proposed from finding %(f)s; a second official must confirm it.")
            % {"pk": recovery.pk, "f": finding.pk},
        )
        return redirect("recovery_detail", recovery_id=recovery.pk)
    return _claim_page(request, finding.claim, recovery_forms={finding.pk: form}, status=400)
