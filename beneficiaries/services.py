"""Writes for firms, consortia, bank accounts and people: each validates fully, then changes all or nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ParamSpec, TypedDict

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from beneficiaries import validators
from beneficiaries.bank_accounts import add_bank_account, notify_bank_change
from beneficiaries.consortia import form_consortium
from beneficiaries.models import BankAccount, Firm, User
from repm_portal import audit
from repm_portal.roles import Role, has_role, require_role

__all__ = ["add_bank_account", "form_consortium", "register_firm"]

USER_AUDIT_FIELDS = ["username", "email", "first_name", "last_name", "role", "firm_id", "is_active"]
P = ParamSpec("P")


class FirmDetails(TypedDict, total=False):
    """A firm's KYC as the firm gives it; register_firm reports what is missing or wrong."""

    legal_name: str
    country: str
    cin: str
    foreign_registration_number: str
    pan: str
    gstin: str
    registered_address: str
    signatory_name: str
    signatory_designation: str
    signatory_email: str
    signatory_phone: str


class BankDetails(TypedDict, total=False):
    account_holder: str
    account_number: str
    ifsc: str
    bank_name: str
    branch: str


class FirmUserDetails(TypedDict, total=False):
    username: str
    email: str
    password: str
    first_name: str
    last_name: str


def _identifier(value: str | None) -> str:
    # Identifiers are case-insensitive and often pasted with spaces: compare them in one form.
    return (value or "").replace(" ", "").strip().upper()


def _collect(
    errors: dict[str, list[str]],
    field: str,
    check: Callable[P, object],
    *args: P.args,
    **kwargs: P.kwargs,
) -> None:
    try:
        check(*args, **kwargs)
    except ValidationError as exc:
        errors.setdefault(field, []).extend(exc.messages)


def _validate_firm_identity(data: dict[str, Any], errors: dict[str, list[str]]) -> None:
    country = _identifier(data.get("country")) or "IN"
    data["country"] = country
    for key in ("cin", "pan", "gstin", "foreign_registration_number"):
        data[key] = _identifier(data.get(key))
    if len(country) != 2 or not country.isalpha():
        errors.setdefault("country", []).append(
            "Country must be a two-letter ISO code, e.g. IN or JP."
        )
    if country == "IN":
        for key, check in (
            ("cin", validators.validate_cin),
            ("pan", validators.validate_pan),
            ("gstin", validators.validate_gstin),
        ):
            if not data[key]:
                errors.setdefault(key, []).append(f"An Indian company must give its {key.upper()}.")
            else:
                _collect(errors, key, check, data[key])
        if data["gstin"] and data["pan"] and "gstin" not in errors and "pan" not in errors:
            _collect(
                errors, "gstin", validators.validate_gstin_matches_pan, data["gstin"], data["pan"]
            )
    else:
        if not data["foreign_registration_number"]:
            errors.setdefault("foreign_registration_number", []).append(
                "A foreign firm must give its registration number in its home country."
            )
        if data["cin"]:
            _collect(errors, "cin", validators.validate_cin, data["cin"])
        if data["pan"]:
            _collect(errors, "pan", validators.validate_pan, data["pan"])
        if data["gstin"]:
            _collect(errors, "gstin", validators.validate_gstin, data["gstin"])
    if (
        data["foreign_registration_number"]
        and Firm.objects.filter(
            country=country, foreign_registration_number__iexact=data["foreign_registration_number"]
        ).exists()
    ):
        errors.setdefault("foreign_registration_number", []).append(
            "A firm with this registration number in this country is already registered."
        )
    for key, label in (("cin", "CIN"), ("pan", "PAN"), ("gstin", "GSTIN")):
        if data[key] and key not in errors and Firm.objects.filter(**{key: data[key]}).exists():
            errors.setdefault(key, []).append(f"A firm with this {label} is already registered.")
    for key in ("legal_name", "registered_address", "signatory_name", "signatory_designation",
                "signatory_email", "signatory_phone"):  # fmt: skip
        if not str(data.get(key) or "").strip():
            errors.setdefault(key, []).append("This field is required.")


def _validate_bank(data: dict[str, Any], errors: dict[str, list[str]], prefix: str = "") -> None:
    data["ifsc"] = _identifier(data.get("ifsc"))
    data["account_number"] = str(data.get("account_number") or "").replace(" ", "")
    _collect(errors, f"{prefix}ifsc", validators.validate_ifsc, data["ifsc"])
    if not data["account_number"].isdigit() or not 9 <= len(data["account_number"]) <= 18:
        errors.setdefault(f"{prefix}account_number", []).append(
            "Account number must be 9 to 18 digits."
        )
    for key in ("account_holder", "bank_name", "branch"):
        if not str(data.get(key) or "").strip():
            errors.setdefault(f"{prefix}{key}", []).append("This field is required.")


FIRM_FIELDS = (
    "legal_name", "country", "cin", "foreign_registration_number", "pan", "gstin",
    "registered_address", "signatory_name", "signatory_designation", "signatory_email",
    "signatory_phone",
)  # fmt: skip
BANK_FIELDS = ("account_holder", "account_number", "ifsc", "bank_name", "branch")


@transaction.atomic
def register_firm(
    *, firm: FirmDetails, bank_account: BankDetails, user: FirmUserDetails
) -> tuple[Firm, User]:
    """A firm registers itself: its KYC, its payout account and its first user, all or nothing."""
    firm_data: dict[str, Any] = {k: firm.get(k, "") for k in FIRM_FIELDS}
    bank_data: dict[str, Any] = {k: bank_account.get(k, "") for k in BANK_FIELDS}
    errors: dict[str, list[str]] = {}
    _validate_firm_identity(firm_data, errors)
    _validate_bank(bank_data, errors, prefix="bank_")
    username = str(user.get("username") or "").strip()
    if not username:
        errors.setdefault("username", []).append("Choose a username.")
    elif User.objects.filter(username__iexact=username).exists():
        errors.setdefault("username", []).append("This username is taken.")
    new_firm = Firm(**{k: str(v).strip() for k, v in firm_data.items()})
    new_user = User(
        username=username,
        email=user.get("email", ""),
        first_name=user.get("first_name", ""),
        last_name=user.get("last_name", ""),
        role=Role.FIRM_USER,
    )
    _collect(errors, "password", validate_password, user.get("password") or "", new_user)
    new_user.set_password(user.get("password") or "")
    # Pending until an official verifies it; it becomes the payout account then.
    account = BankAccount(is_primary=False, to_be_primary=True, **bank_data)
    # The models' own field checks too (lengths, e-mail, username characters), before any write.
    for instance, exclude, prefix in (
        (new_firm, [], ""),
        (new_user, ["firm", "password"], ""),
        (account, ["firm", "created_by"], "bank_"),
    ):
        try:
            instance.full_clean(exclude=exclude, validate_constraints=False)
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                errors.setdefault(f"{prefix}{field}", []).extend(
                    m for m in messages if m not in errors.get(f"{prefix}{field}", [])
                )
    if errors:
        raise ValidationError(errors)

    try:
        with transaction.atomic():
            new_firm.save()
            new_user.firm = new_firm
            new_user.save()
            account.firm, account.created_by = new_firm, new_user
            account.save()
    except IntegrityError as exc:
        # Two registrations of the same identity at the same moment: the database decided.
        raise ValidationError(
            {
                "__all__": [
                    _("This firm or username was registered a moment ago; check and try again.")
                ]
            }
        ) from exc
    audit.record(
        actor=new_user, action="firm.registered", obj=new_firm, new=audit.snapshot(new_firm)
    )
    audit.record(
        actor=new_user,
        action="user.created",
        obj=new_user,
        new=audit.snapshot(new_user, USER_AUDIT_FIELDS),
    )
    audit.record(
        actor=new_user, action="bank_account.added", obj=account, new=audit.snapshot(account)
    )
    notify_bank_change(account, gettext_noop("added (awaiting the ministry's verification)"))
    return new_firm, new_user


def _require_firm_actor(actor: User, firm: Firm, action: str) -> None:
    if has_role(actor, Role.ADMIN):
        return
    if has_role(actor, Role.FIRM_USER) and actor.firm_id == firm.pk:
        return
    raise PermissionDenied(
        _("Only the firm's own users or an administrator may %(action)s.") % {"action": _(action)}
    )


@transaction.atomic
def create_staff_user(
    *, actor: User, username: str, email: str, role: str, password: str,
    first_name: str = "", last_name: str = "", designation: str = "",
) -> User:  # fmt: skip
    """An administrator adds a ministry, agency or audit user."""
    require_role(actor, Role.ADMIN, action="create users")
    if role == Role.FIRM_USER:
        raise ValidationError({"role": _("Firm users join through their firm's registration.")})
    if role not in Role.values:
        raise ValidationError({"role": _("Unknown role '%(role)s'.") % {"role": role}})
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": _("This username is taken.")})
    user = User(
        username=username, email=email, role=role, first_name=first_name,
        last_name=last_name, designation=designation,
    )  # fmt: skip
    validate_password(password, user)
    user.set_password(password)
    user.full_clean()
    user.save()
    audit.record(
        actor=actor, action="user.created", obj=user, new=audit.snapshot(user, USER_AUDIT_FIELDS)
    )
    return user


@transaction.atomic
def set_user_active(*, actor: User, user: User, active: bool) -> User:
    require_role(actor, Role.ADMIN, action="activate or deactivate users")
    if actor.pk == user.pk and not active:
        raise ValidationError(_("You cannot deactivate your own account."))
    locked = User.objects.select_for_update().get(pk=user.pk)
    if locked.is_active == active:
        return locked
    locked.is_active = active
    locked.save(update_fields=["is_active"])
    audit.record(
        actor=actor, action="user.activated" if active else "user.deactivated", obj=locked,
        old={"is_active": not active}, new={"is_active": active},
    )  # fmt: skip
    return locked
