"""Pages for firms (registration, KYC, bank accounts, consortia) and for administering people."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from beneficiaries import bank_accounts, consortia, selectors, services
from beneficiaries.forms import (
    BankAccountForm,
    BankVerificationForm,
    ConsortiumForm,
    FirmRegistrationForm,
    StaffUserForm,
)
from beneficiaries.models import BankAccount, Consortium, Firm
from repm_portal.forms import attach_errors
from repm_portal.roles import READ_ALL_ROLES, Role, has_role, require_role


def register(request):
    if request.user.is_authenticated:
        return redirect("dashboard")
    form = FirmRegistrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            firm, user = services.register_firm(
                firm=form.firm_details(),
                bank_account=form.bank_details(),
                user=form.user_details(),
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(
                request,
                _("%(firm)s is registered. Welcome, %(user)s.")
                % {"firm": firm.legal_name, "user": user.get_username()},
            )
            return redirect("firm_detail", firm_id=firm.pk)
    return render(request, "beneficiaries/register.html", {"form": form})


@login_required
def firm_list(request):
    require_role(request.user, *READ_ALL_ROLES, action="list all firms")
    return render(
        request, "beneficiaries/firm_list.html", {"firms": selectors.firms_visible_to(request.user)}
    )


@login_required
def my_firm(request):
    if not has_role(request.user, Role.FIRM_USER):
        return redirect("firm_list")
    return redirect("firm_detail", firm_id=request.user.firm_id)


@login_required
def firm_detail(request, firm_id: int):
    firm = selectors.firm_for(request.user, firm_id)
    consortia = selectors.consortia_visible_to(request.user).filter(members__firm=firm).distinct()
    can_edit = has_role(request.user, Role.ADMIN) or (
        has_role(request.user, Role.FIRM_USER) and request.user.firm_id == firm.pk
    )
    return render(
        request,
        "beneficiaries/firm_detail.html",
        {
            "firm": firm,
            "consortia": consortia,
            "can_edit": can_edit,
            "can_verify": has_role(request.user, *bank_accounts.VERIFIER_ROLES),
            "users": firm.users.all(),
        },
    )


@login_required
def bank_account_add(request, firm_id: int):
    firm = selectors.firm_for(request.user, firm_id)
    form = BankAccountForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            data = form.cleaned_data
            bank_accounts.add_bank_account(
                actor=request.user,
                firm=firm,
                account_holder=data["account_holder"],
                account_number=data["account_number"],
                ifsc=data["ifsc"],
                bank_name=data["bank_name"],
                branch=data["branch"],
                make_primary=data["make_primary"],
                evidence=data.get("evidence"),
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(
                request,
                _("Bank account recorded. It receives no payout until an official verifies it."),
            )
            return redirect("firm_detail", firm_id=firm.pk)
    return render(request, "beneficiaries/bank_account_form.html", {"form": form, "firm": firm})


def _account_for(request, firm_id: int, account_id: int) -> BankAccount:
    firm = selectors.firm_for(request.user, firm_id)
    account = firm.bank_accounts.select_related("firm", "created_by").filter(pk=account_id).first()
    if account is None:
        raise Http404("No such bank account.")
    return account


@login_required
def bank_account_verify(request, firm_id: int, account_id: int):
    require_role(request.user, *bank_accounts.VERIFIER_ROLES, action="verify payout accounts")
    account = _account_for(request, firm_id, account_id)
    form = BankVerificationForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if data["decision"] == "verify":
                bank_accounts.verify_bank_account(
                    actor=request.user,
                    account=account,
                    note=data["note"],
                    evidence=data.get("evidence"),
                )
            else:
                bank_accounts.reject_bank_account(
                    actor=request.user, account=account, note=data["note"]
                )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, _("Decision recorded; the firm is told by e-mail."))
            return redirect("firm_detail", firm_id=firm_id)
    return render(
        request,
        "beneficiaries/bank_account_verify.html",
        {"form": form, "account": account, "matches": bank_accounts.holder_matches(account)},
    )


@login_required
def bank_account_evidence(request, firm_id: int, account_id: int):
    account = _account_for(request, firm_id, account_id)
    if not account.evidence:
        raise Http404("No evidence was given for this account.")
    return FileResponse(
        account.evidence.open("rb"), as_attachment=True, filename=account.evidence_name
    )


@login_required
def consortium_list(request):
    consortia = selectors.consortia_visible_to(request.user)
    return render(request, "beneficiaries/consortium_list.html", {"consortia": consortia})


@login_required
def consortium_new(request):
    if not has_role(request.user, Role.FIRM_USER):
        raise PermissionDenied(_("A consortium is formed by the firm that leads it."))
    lead = request.user.firm
    form = ConsortiumForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        members: list[tuple[Firm | str, Decimal | str]] = [(lead, form.cleaned_data["lead_share"])]
        for i, ident, share in form.partners():
            if not ident:
                form.add_error(f"partner_{i}", "Give this partner's CIN, PAN or foreign number.")
            elif share is None:
                form.add_error(f"partner_{i}_share", "Give this partner's equity share.")
            else:
                # Passed as typed: whether a firm holds it is not for the lead to learn here.
                members.append((ident, share))
        if not form.errors:
            try:
                consortia.form_consortium(
                    actor=request.user, name=form.cleaned_data["name"], lead=lead, members=members
                )
            except ValidationError as exc:
                attach_errors(form, exc)
            else:
                messages.success(
                    request,
                    _(
                        "Consortium proposed. Each partner is asked to accept it; it can bid once "
                        "every partner has accepted."
                    ),
                )
                return redirect("consortium_list")
    return render(request, "beneficiaries/consortium_form.html", {"form": form, "lead": lead})


def _consortium_for(request, consortium_id: int) -> Consortium:
    found = selectors.consortia_visible_to(request.user).filter(pk=consortium_id).first()
    if found is None:
        raise Http404("No such consortium.")
    return found


@login_required
@require_POST
def consortium_respond(request, consortium_id: int):
    consortium = _consortium_for(request, consortium_id)
    accept = request.POST.get("answer") == "accept"
    if request.POST.get("answer") not in {"accept", "decline"}:
        messages.error(request, _("Choose to accept or to decline."))
        return redirect("consortium_list")
    try:
        consortia.respond(actor=request.user, consortium=consortium, accept=accept)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("You accepted your firm's place in %(name)s.") % {"name": consortium.name}
            if accept
            else _("You declined %(name)s; it cannot bid.") % {"name": consortium.name},
        )
    return redirect("consortium_list")


@login_required
@require_POST
def consortium_withdraw(request, consortium_id: int):
    consortium = _consortium_for(request, consortium_id)
    try:
        consortia.withdraw(actor=request.user, consortium=consortium)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("%(name)s is withdrawn.") % {"name": consortium.name})
    return redirect("consortium_list")


@login_required
def user_list(request):
    require_role(request.user, Role.ADMIN, Role.AUDITOR, action="list users")
    form = StaffUserForm(request.POST or None) if has_role(request.user, Role.ADMIN) else None
    if request.method == "POST":
        require_role(request.user, Role.ADMIN, action="create users")
        if form.is_valid():
            try:
                data = form.cleaned_data
                user = services.create_staff_user(
                    actor=request.user,
                    username=data["username"],
                    email=data["email"],
                    role=data["role"],
                    password=data["password"],
                    first_name=data["first_name"],
                    last_name=data["last_name"],
                    designation=data["designation"],
                )
            except ValidationError as exc:
                attach_errors(form, exc)
            else:
                messages.success(request, _("%(user)s can now log in.") % {"user": user.label})
                return redirect("user_list")
    return render(
        request,
        "beneficiaries/user_list.html",
        {"users": selectors.users_visible_to(request.user), "form": form},
    )
