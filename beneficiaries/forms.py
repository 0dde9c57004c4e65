"""Forms for firm registration, bank accounts, consortia and staff users; services do the checking."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from beneficiaries.services import BankDetails, FirmDetails, FirmUserDetails
from repm_portal.roles import Role

MAX_PARTNERS = 4


class FirmRegistrationForm(forms.Form):
    legal_name = forms.CharField(label=_("Legal name"), max_length=300)
    country = forms.CharField(
        label=_("Country"),
        max_length=2,
        initial="IN",
        help_text=_("Two-letter ISO code: IN for India."),
    )
    cin = forms.CharField(
        label=_("CIN"), max_length=30, required=False, help_text=_("Indian companies.")
    )
    foreign_registration_number = forms.CharField(
        label=_("Foreign registration number"),
        max_length=60,
        required=False,
        help_text=_("Foreign firms."),
    )
    pan = forms.CharField(label=_("PAN"), max_length=20, required=False)
    gstin = forms.CharField(label=_("GSTIN"), max_length=24, required=False)
    registered_address = forms.CharField(
        label=_("Registered address"), widget=forms.Textarea(attrs={"rows": 3})
    )
    signatory_name = forms.CharField(label=_("Authorised signatory"), max_length=200)
    signatory_designation = forms.CharField(label=_("Signatory's designation"), max_length=200)
    signatory_email = forms.EmailField(label=_("Signatory's e-mail"))
    signatory_phone = forms.CharField(label=_("Signatory's phone"), max_length=20)
    bank_account_holder = forms.CharField(label=_("Account holder"), max_length=300)
    bank_account_number = forms.CharField(label=_("Account number"), max_length=18)
    bank_ifsc = forms.CharField(label=_("IFSC"), max_length=16)
    bank_bank_name = forms.CharField(label=_("Bank"), max_length=200)
    bank_branch = forms.CharField(label=_("Branch"), max_length=200)
    username = forms.CharField(label=_("Username"), max_length=150)
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    email = forms.EmailField(label=_("Email"))
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput, strip=False)
    password_again = forms.CharField(
        label=_("Password again"), widget=forms.PasswordInput, strip=False
    )

    sections = (
        (_("The firm"), ["legal_name", "country", "cin", "foreign_registration_number", "pan", "gstin", "registered_address"]),
        (_("Authorised signatory"), ["signatory_name", "signatory_designation", "signatory_email", "signatory_phone"]),
        (_("Bank account for payouts"), ["bank_account_holder", "bank_account_number", "bank_ifsc", "bank_bank_name", "bank_branch"]),
        (_("Your login"), ["username", "first_name", "last_name", "email", "password", "password_again"]),
    )  # fmt: skip

    def section_fields(self):
        return [(title, [self[name] for name in names]) for title, names in self.sections]

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password") != data.get("password_again"):
            self.add_error("password_again", gettext("The two passwords differ."))
        return data

    def firm_details(self) -> FirmDetails:
        data = self.cleaned_data
        return FirmDetails(
            legal_name=data["legal_name"],
            country=data["country"],
            cin=data["cin"],
            foreign_registration_number=data["foreign_registration_number"],
            pan=data["pan"],
            gstin=data["gstin"],
            registered_address=data["registered_address"],
            signatory_name=data["signatory_name"],
            signatory_designation=data["signatory_designation"],
            signatory_email=data["signatory_email"],
            signatory_phone=data["signatory_phone"],
        )

    def bank_details(self) -> BankDetails:
        data = self.cleaned_data
        return BankDetails(
            account_holder=data["bank_account_holder"],
            account_number=data["bank_account_number"],
            ifsc=data["bank_ifsc"],
            bank_name=data["bank_bank_name"],
            branch=data["bank_branch"],
        )

    def user_details(self) -> FirmUserDetails:
        data = self.cleaned_data
        return FirmUserDetails(
            username=data["username"],
            first_name=data["first_name"],
            last_name=data["last_name"],
            email=data["email"],
            password=data["password"],
        )


class BankAccountForm(forms.Form):
    account_holder = forms.CharField(label=_("Account holder"), max_length=300)
    account_number = forms.CharField(label=_("Account number"), max_length=18)
    ifsc = forms.CharField(label=_("IFSC"), max_length=11)
    bank_name = forms.CharField(label=_("Bank"), max_length=200)
    branch = forms.CharField(label=_("Branch"), max_length=200)
    make_primary = forms.BooleanField(
        required=False, initial=True, label=_("Use for payouts once the ministry verifies it")
    )
    evidence = forms.FileField(
        required=False,
        label=_("Cancelled cheque or bank letter (PDF, PNG or JPEG)"),
        help_text=_("The ministry checks the account against it before any payout."),
    )


class BankVerificationForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("verify", _("Verify: the evidence shows this account")), ("reject", _("Reject"))],
        widget=forms.RadioSelect,
    )
    evidence = forms.FileField(
        required=False,
        label=_("Cancelled cheque or bank letter checked (if the firm gave none)"),
    )
    note = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        label=_("Reason"),
        help_text=_(
            "Required to reject, or when the holder's name is not the firm's registered name."
        ),
    )


class ConsortiumForm(forms.Form):
    """Partners are named by their registration identifiers, so no firm browses the list of bidders."""

    name = forms.CharField(label=_("Name"), max_length=300)
    lead_share = forms.DecimalField(
        label=_("Your firm's equity share (%)"), max_digits=5, decimal_places=2
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for i in range(1, MAX_PARTNERS + 1):
            self.fields[f"partner_{i}"] = forms.CharField(
                label=gettext("Partner %(n)s: CIN, PAN or foreign registration number") % {"n": i},
                required=False,
                max_length=60,
            )
            self.fields[f"partner_{i}_share"] = forms.DecimalField(
                label=gettext("Partner %(n)s: equity share (%%)") % {"n": i},
                required=False,
                max_digits=5,
                decimal_places=2,
            )

    def partners(self) -> list[tuple[int, str, Decimal | None]]:
        rows = []
        for i in range(1, MAX_PARTNERS + 1):
            ident = (self.cleaned_data.get(f"partner_{i}") or "").strip()
            share = self.cleaned_data.get(f"partner_{i}_share")
            if ident or share is not None:
                rows.append((i, ident, share))
        return rows


class StaffUserForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    email = forms.EmailField(label=_("Email"))
    designation = forms.CharField(label=_("Designation"), max_length=200, required=False)
    role = forms.ChoiceField(
        label=_("Role"), choices=[c for c in Role.choices if c[0] != Role.FIRM_USER]
    )
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput, strip=False)
