"""Pages of the scheme core: dashboards, rule-set versions and amendments, the audit trail."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from repm_portal import selectors, services
from repm_portal.exports import csv_rows
from repm_portal.filters import AuditEventFilter
from repm_portal.forms import RuleSetAmendmentForm, SlabFormSet, attach_errors
from repm_portal.roles import Role, require_role
from repm_portal.selectors import SLAB_FIELDS
from repm_portal.ui import panels_for
from repm_portal.viewer_cache import viewer_cached


def home(request):
    return redirect("dashboard" if request.user.is_authenticated else "login")


@require_GET
def health(request):
    return HttpResponse("ok", content_type="text/plain")


@login_required
@viewer_cached
def dashboard(request):
    return render(request, "dashboard.html", {"panels": panels_for(request.user)})


@login_required
def rule_set_list(request):
    # Firms read the rules too: they bid and claim under them.
    versions = list(selectors.rule_sets())
    return render(request, "scheme/rule_set_list.html", {"versions": versions})


def _version(version: int):
    found = selectors.rule_sets().filter(version=version).first()
    if found is None:
        raise Http404("No such rule-set version")
    return found


@login_required
def rule_set_detail(request, version: int):
    rule_set = _version(version)
    params = [
        (_(str(f.verbose_name)), getattr(rule_set, f.attname), selectors._kind(f))
        for f in selectors.parameter_fields()
    ]
    return render(request, "scheme/rule_set_detail.html", {"rule_set": rule_set, "params": params})


@login_required
def rule_set_compare(request):
    versions = list(selectors.rule_sets())
    if not versions:
        raise Http404("No rule sets")
    try:
        a = int(request.GET.get("a", versions[max(0, len(versions) - 2)].version))
        b = int(request.GET.get("b", versions[-1].version))
    except ValueError as exc:
        raise Http404("Versions are numbers") from exc
    old, new = _version(a), _version(b)
    context = {
        "versions": versions,
        "old": old,
        "new": new,
        "changes": selectors.rule_set_diff(old, new),
    }
    template = (
        "scheme/_diff.html" if request.headers.get("HX-Request") else "scheme/rule_set_compare.html"
    )
    return render(request, template, context)


@login_required
def rule_set_amend(request):
    require_role(request.user, Role.OFFICIAL, Role.ADMIN, action="amend the scheme's rules")
    base = selectors.latest_rule_set()
    slab_initial = [
        {"min_capacity_mtpa": s.min_capacity_mtpa, "max_capacity_mtpa": s.max_capacity_mtpa}
        | {n: getattr(s, n) for n in SLAB_FIELDS}
        for s in base.slabs.all()
    ]
    if request.method == "POST":
        form = RuleSetAmendmentForm(request.POST)
        slabs = SlabFormSet(request.POST, prefix="slabs")
        if form.is_valid() and slabs.is_valid():
            try:
                new = services.amend_rule_set(
                    actor=request.user,
                    effective_from=form.cleaned_data["effective_from"],
                    notification=form.cleaned_data["notification"],
                    notified_on=form.cleaned_data["notified_on"],
                    summary=form.cleaned_data["summary"],
                    changes=form.changes_from(base),
                    slabs=[s.cleaned_data for s in slabs.forms if s.cleaned_data],
                )
            except ValidationError as exc:
                attach_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("Version %(version)s issued; it takes effect on %(date)s.")
                    % {"version": new.version, "date": f"{new.effective_from:%d %b %Y}"},
                )
                return redirect(f"{reverse('rule_set_compare')}?a={base.version}&b={new.version}")
    else:
        initial = {f.name: getattr(base, f.name) for f in selectors.parameter_fields()}
        initial |= {"notified_on": timezone.localdate()}
        form = RuleSetAmendmentForm(initial=initial)
        slabs = SlabFormSet(initial=slab_initial, prefix="slabs")
    return render(
        request, "scheme/rule_set_amend.html", {"form": form, "slabs": slabs, "base": base}
    )


AUDIT_COLUMNS = [
    "id",
    "occurred_at",
    "actor_label",
    "action",
    "object_type",
    "object_id",
    "object_repr",
    "old_values",
    "new_values",
    "prev_hash",
    "row_hash",
]


@login_required
def audit_list(request):
    events = selectors.audit_events_visible_to(request.user)
    filtered = AuditEventFilter(request.GET, queryset=events)
    page = Paginator(filtered.qs, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"filter": filtered, "page": page, "query": query.urlencode()}
    template = "audit/_table.html" if request.headers.get("HX-Request") else "audit/list.html"
    return render(request, template, context)


def _json(value) -> str:
    # JSON (not Python's repr) so the export can be parsed and re-hashed with any tool.
    return "" if value is None else json.dumps(value, sort_keys=True, ensure_ascii=False)


@login_required
def audit_export(request):
    events = selectors.audit_events_visible_to(request.user)
    filtered = AuditEventFilter(request.GET, queryset=events).qs.order_by("id")
    rows = (
        [
            e.id,
            e.occurred_at.isoformat(),
            e.actor_label,
            e.action,
            e.object_type,
            e.object_id,
            e.object_repr,
            _json(e.old_values),
            _json(e.new_values),
            e.prev_hash,
            e.row_hash,
        ]
        for e in filtered.iterator(chunk_size=2000)
    )
    response = StreamingHttpResponse(
        csv_rows(AUDIT_COLUMNS, rows), content_type="text/csv; charset=utf-8"
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="repm-audit-trail-{stamp}.csv"'
    return response


def permission_denied(request, exception=None):
    return render(request, "403.html", {"reason": str(exception or "")}, status=403)


@login_required
def audit_verify(request):
    """Start a chain verification in the worker; the page polls for its result."""
    from celery.result import AsyncResult

    from repm_portal.tasks import verify_audit_chain

    selectors.audit_events_visible_to(request.user)  # the permission check
    if request.method == "POST":
        result = verify_audit_chain.delay()
        return render(request, "audit/_verify.html", {"task_id": result.id, "state": "PENDING"})
    task_id = request.GET.get("task", "")
    if not task_id:
        return render(
            request, "audit/_verify.html", {"error": _("No verification was started.")}, status=400
        )
    result = AsyncResult(task_id)
    context = {"task_id": task_id, "state": result.state}
    if result.successful():
        context["report"] = result.get()
    elif result.failed():
        context["error"] = "The verification task failed; see the worker's log."
    return render(request, "audit/_verify.html", context)


@require_GET
def transparency_checkpoints(request):
    """Public: the signed checkpoints of the audit chain, from the log outside the database."""
    from repm_portal import anchoring

    try:
        public_key = anchoring.public_key_text(anchoring.signing_key().public_key())
    except ImproperlyConfigured:
        public_key = ""
    return render(
        request,
        "audit/checkpoints.html",
        {"checkpoints": anchoring.public_checkpoints(), "public_key": public_key},
    )
