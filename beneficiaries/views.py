"""Pages for firms (registration, KYC, bank accounts, consortia) and for administering people."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render

from beneficiaries import selectors, services
from beneficiaries.forms import BankAccountForm, ConsortiumForm, FirmRegistrationForm, StaffUserForm
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
                request, f"{firm.legal_name} is registered. Welcome, {user.get_username()}."
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
        {"firm": firm, "consortia": consortia, "can_edit": can_edit, "users": firm.users.all()},
    )


@login_required
def bank_account_add(request, firm_id: int):
    firm = selectors.firm_for(request.user, firm_id)
    form = BankAccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            data = form.cleaned_data
            services.add_bank_account(
                actor=request.user,
                firm=firm,
                account_holder=data["account_holder"],
                account_number=data["account_number"],
                ifsc=data["ifsc"],
                bank_name=data["bank_name"],
                branch=data["branch"],
                make_primary=data["make_primary"],
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, "Bank account recorded.")
            return redirect("firm_detail", firm_id=firm.pk)
    return render(request, "beneficiaries/bank_account_form.html", {"form": form, "firm": firm})


@login_required
def consortium_list(request):
    consortia = selectors.consortia_visible_to(request.user)
    return render(request, "beneficiaries/consortium_list.html", {"consortia": consortia})


@login_required
def consortium_new(request):
    if not has_role(request.user, Role.FIRM_USER):
        raise PermissionDenied("A consortium is formed by the firm that leads it.")
    lead = request.user.firm
    form = ConsortiumForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        members = [(lead, form.cleaned_data["lead_share"])]
        for i, ident, share in form.partners():
            partner = selectors.firm_by_identifier(ident)
            if partner is None:
                form.add_error(f"partner_{i}", f"No registered firm has the identifier '{ident}'.")
            elif share is None:
                form.add_error(f"partner_{i}_share", "Give this partner's equity share.")
            else:
                members.append((partner, share))
        if not form.errors:
            try:
                services.form_consortium(
                    actor=request.user, name=form.cleaned_data["name"], lead=lead, members=members
                )
            except ValidationError as exc:
                attach_errors(form, exc)
            else:
                messages.success(request, "Consortium formed.")
                return redirect("consortium_list")
    return render(request, "beneficiaries/consortium_form.html", {"form": form, "lead": lead})


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
                messages.success(request, f"{user.label} can now log in.")
                return redirect("user_list")
    return render(
        request,
        "beneficiaries/user_list.html",
        {"users": selectors.users_visible_to(request.user), "form": form},
    )
