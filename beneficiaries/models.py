"""Firms, consortia, bank accounts for payouts, and the people who act for them or for the ministry."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper

from repm_portal.roles import STAFF_ROLES, Role


class Firm(models.Model):
    """A bidder or beneficiary: an Indian company (CIN, PAN, GSTIN) or a foreign one."""

    legal_name = models.CharField(max_length=300)
    country = models.CharField(max_length=2, default="IN", help_text="ISO 3166-1 alpha-2")
    cin = models.CharField("CIN", max_length=21, blank=True)
    foreign_registration_number = models.CharField(max_length=60, blank=True)
    pan = models.CharField("PAN", max_length=10, blank=True)
    gstin = models.CharField("GSTIN", max_length=15, blank=True)
    registered_address = models.TextField()
    signatory_name = models.CharField("authorised signatory", max_length=200)
    signatory_designation = models.CharField(max_length=200)
    signatory_email = models.EmailField()
    signatory_phone = models.CharField(max_length=20)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["legal_name"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(country="IN") | (~Q(cin="") & ~Q(pan="") & ~Q(gstin="")),
                name="firm_indian_has_cin_pan_gstin",
            ),
            models.CheckConstraint(
                condition=Q(country="IN") | ~Q(foreign_registration_number=""),
                name="firm_foreign_has_registration",
            ),
            models.UniqueConstraint(fields=["cin"], condition=~Q(cin=""), name="firm_unique_cin"),
            models.UniqueConstraint(fields=["pan"], condition=~Q(pan=""), name="firm_unique_pan"),
            models.UniqueConstraint(
                fields=["gstin"], condition=~Q(gstin=""), name="firm_unique_gstin"
            ),
            models.UniqueConstraint(
                "country",
                Upper("foreign_registration_number"),
                condition=~Q(foreign_registration_number=""),
                name="firm_unique_foreign_registration",
            ),
        ]

    def __str__(self) -> str:
        return self.legal_name

    @property
    def is_indian(self) -> bool:
        return self.country == "IN"

    @property
    def primary_bank_account(self) -> BankAccount | None:
        return self.bank_accounts.filter(is_primary=True).first()


class User(AbstractUser):
    """A person with exactly one role; a firm user belongs to exactly one firm."""

    role = models.CharField(max_length=20, choices=Role.choices)
    firm = models.ForeignKey(
        Firm, null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )
    designation = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(Q(role=Role.FIRM_USER) & Q(firm__isnull=False))
                | (~Q(role=Role.FIRM_USER) & Q(firm__isnull=True)),
                name="user_firm_iff_firm_role",
            ),
            models.CheckConstraint(condition=Q(role__in=Role.values), name="user_role_known"),
        ]

    @property
    def is_firm_user(self) -> bool:
        return self.role == Role.FIRM_USER

    @property
    def is_ministry_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def label(self) -> str:
        return f"{self.get_full_name() or self.username} ({self.get_role_display()})"


class BankAccount(models.Model):
    """Where a firm's incentive is paid; the IFSC is validated and changes are audited.

    A new account is pending until an official other than the person who added it verifies it
    against the cancelled cheque or bank letter; only a verified account can be the payout
    (`is_primary`) one, and letters and payment advices use only that. An account asked to be
    the payout one (`to_be_primary`) becomes it when verified.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Awaiting verification"
        VERIFIED = "verified", "Verified"
        REJECTED = "rejected", "Rejected"

    firm = models.ForeignKey(Firm, on_delete=models.PROTECT, related_name="bank_accounts")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    to_be_primary = models.BooleanField(
        default=False, help_text="Becomes the payout account once verified"
    )
    evidence = models.FileField(upload_to="bank-evidence/%Y/", blank=True)
    evidence_sha256 = models.CharField(max_length=64, blank=True)
    evidence_name = models.CharField(max_length=300, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    verification_note = models.TextField(
        blank=True, help_text="The verifier's reason: a holder name that differs, or a rejection"
    )
    account_holder = models.CharField(max_length=300)
    account_number = models.CharField(max_length=18)
    ifsc = models.CharField("IFSC", max_length=11)
    bank_name = models.CharField(max_length=200)
    branch = models.CharField(max_length=200)
    is_primary = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["firm", "-is_primary", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["firm"], condition=Q(is_primary=True), name="bank_one_primary_per_firm"
            ),
            models.UniqueConstraint(
                fields=["firm", "ifsc", "account_number"], name="bank_account_unique_per_firm"
            ),
            models.CheckConstraint(
                condition=Q(account_number__regex=r"^[0-9]{9,18}$"),
                name="bank_account_number_digits",
            ),
            models.CheckConstraint(
                condition=Q(ifsc__regex=r"^[A-Z]{4}0[A-Z0-9]{6}$"), name="bank_ifsc_format"
            ),
            models.CheckConstraint(
                condition=Q(is_primary=False) | Q(status="verified"),
                name="bank_payout_account_verified",
            ),
            models.CheckConstraint(
                condition=Q(verified_by__isnull=True)
                | Q(created_by__isnull=True)
                | ~Q(verified_by=models.F("created_by")),
                name="bank_verified_by_a_second_person",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.bank_name} ••••{self.account_number[-4:]} ({self.ifsc})"


class Consortium(models.Model):
    """Firms bidding together through a lead member that holds at least the rule's share.

    The lead proposes it; it is formed, and may bid, only when every partner's own user has
    accepted. One partner declining ends it; the lead may withdraw it while it is proposed.
    """

    class Status(models.TextChoices):
        PROPOSED = "proposed", "Awaiting the partners' consent"
        FORMED = "formed", "Formed"
        DECLINED = "declined", "Declined by a partner"
        WITHDRAWN = "withdrawn", "Withdrawn by the lead"

    name = models.CharField(max_length=300)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PROPOSED)
    lead = models.ForeignKey(Firm, on_delete=models.PROTECT, related_name="led_consortia")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "consortia"

    def __str__(self) -> str:
        return self.name


class ConsortiumMember(models.Model):
    """A place in a consortium, held by a registered firm once it accepts.

    A partner is invited by its identifier; a member with no firm is an identifier no firm
    registered, kept so the lead's form tells nothing of which identifiers exist. Such a member
    never accepts, so its consortium never forms.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Awaiting consent"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"

    consortium = models.ForeignKey(Consortium, on_delete=models.CASCADE, related_name="members")
    firm = models.ForeignKey(
        Firm,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="consortium_memberships",
    )
    invited_identifier = models.CharField(
        max_length=60, blank=True, help_text="The CIN, PAN or foreign number the lead gave"
    )
    equity_pct = models.DecimalField("equity share (%)", max_digits=5, decimal_places=2)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    responded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["consortium", "-equity_pct"]
        constraints = [
            models.UniqueConstraint(fields=["consortium", "firm"], name="member_once"),
            models.UniqueConstraint(
                fields=["consortium", "invited_identifier"],
                condition=~Q(invited_identifier=""),
                name="member_invited_once",
            ),
            models.CheckConstraint(
                condition=~Q(status="accepted") | Q(firm__isnull=False),
                name="member_accepted_is_a_firm",
            ),
            models.CheckConstraint(
                condition=Q(firm__isnull=False) | ~Q(invited_identifier=""),
                name="member_firm_or_identifier",
            ),
            models.CheckConstraint(
                condition=Q(equity_pct__gt=0, equity_pct__lte=100), name="member_share_in_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.firm} {self.equity_pct}%"
