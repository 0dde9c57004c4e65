"""Demo people and firms: one user per role, two firms and a consortium, made through the services."""

from __future__ import annotations

from django.db import transaction

from beneficiaries import consortia, services
from beneficiaries.models import Firm, User
from beneficiaries.validators import gstin_check_character
from repm_portal import audit
from repm_portal.management.commands.seed_demo import DEMO_PASSWORD
from repm_portal.roles import Role

STAFF = [
    ("admin", Role.ADMIN, "Asha", "Rao", "Portal administrator"),
    ("official", Role.OFFICIAL, "Vikram", "Mehta", "Under Secretary, MHI"),
    # The second official: confirms what the first proposes (a recovery is maker-checker).
    ("official2", Role.OFFICIAL, "Farah", "Khan", "Deputy Secretary, MHI"),
    ("evaluator", Role.EVALUATOR, "Priya", "Nair", "Technical committee member"),
    ("evaluator2", Role.EVALUATOR, "Rahul", "Sen", "Technical committee member"),
    ("verifier", Role.VERIFIER, "Kiran", "Das", "Project management agency"),
    ("approver", Role.APPROVER, "Meera", "Iyer", "Joint Secretary, MHI"),
    ("auditor", Role.AUDITOR, "Sunil", "Gupta", "Office of the C&AG"),
]


def gstin_for(state: str, pan: str) -> str:
    body = f"{state}{pan}1Z"
    return body + gstin_check_character(body)


def indian_firm(
    name: str, pan: str, cin: str, state: str, city: str, username: str, ifsc: str, account: str
) -> dict:
    return {
        "firm": {
            "legal_name": name,
            "country": "IN",
            "cin": cin,
            "pan": pan,
            "gstin": gstin_for(state, pan),
            "registered_address": f"Plot 12, Industrial Area, {city}",
            "signatory_name": "R. Sharma",
            "signatory_designation": "Managing Director",
            "signatory_email": f"md@{username}.example.in",
            "signatory_phone": "+91 22 4000 1234",
        },
        "bank_account": {
            "account_holder": name,
            "account_number": account,
            "ifsc": ifsc,
            "bank_name": "State Bank of India",
            "branch": city,
        },
        "user": {
            "username": username,
            "email": f"{username}@example.in",
            "password": DEMO_PASSWORD,
            "first_name": "Demo",
            "last_name": name.split()[0],
        },
    }


FIRMS = [
    indian_firm(
        "NeoMag Magnetics Limited",
        "AABCN1234F",
        "U27100MH2024PLC123456",
        "27",
        "Mumbai",
        "neomag",
        "SBIN0000300",
        "30012345678",
    ),
    indian_firm(
        "Bharat Rare Earth Alloys Private Limited",
        "AACCB5678K",
        "U27200TN2023PTC654321",
        "33",
        "Chennai",
        "bharatre",
        "SBIN0001234",
        "40098765432",
    ),
    indian_firm(
        "Deccan Sintered Products Limited",
        "AADCD4321M",
        "L27300TG2019PLC112233",
        "36",
        "Hyderabad",
        "deccan",
        "SBIN0020001",
        "50011122233",
    ),
]
FOREIGN = {
    "firm": {
        "legal_name": "Sakura Magnet Works K.K.",
        "country": "JP",
        "foreign_registration_number": "0104-01-123456",
        "registered_address": "2-1 Marunouchi, Chiyoda-ku, Tokyo",
        "signatory_name": "K. Tanaka",
        "signatory_designation": "Representative Director",
        "signatory_email": "tanaka@sakura.example.jp",
        "signatory_phone": "+81 3 1234 5678",
    },
    "bank_account": {
        "account_holder": "Sakura Magnet Works K.K.",
        "account_number": "912020012345678",
        "ifsc": "MUFG0000001",
        "bank_name": "MUFG Bank (India)",
        "branch": "New Delhi",
    },
    "user": {"username": "sakura", "email": "sakura@example.jp", "password": DEMO_PASSWORD},
}


@transaction.atomic
def bootstrap_admin(username: str = "admin") -> User:
    """The first administrator, recorded in the audit trail as made by the system."""
    user = User.objects.filter(username=username).first()
    if user:
        return user
    _, role, first, last, designation = STAFF[0]
    user = User(
        username=username,
        role=role,
        first_name=first,
        last_name=last,
        designation=designation,
        email=f"{username}@mhi.example.gov.in",
        is_staff=True,
        is_superuser=True,
    )
    user.set_password(DEMO_PASSWORD)
    user.save()
    audit.record(
        actor=None,
        action="user.created",
        obj=user,
        new=audit.snapshot(user, services.USER_AUDIT_FIELDS),
    )
    return user


def verify_payout_accounts() -> None:
    """The ministry's official verifies each registered firm's account against its bank letter."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from beneficiaries import bank_accounts
    from beneficiaries.models import BankAccount
    from repm_portal.pdf import evidence_pdf

    official = User.objects.get(username="official")
    for account in BankAccount.objects.filter(status=BankAccount.Status.PENDING).select_related(
        "firm"
    ):
        letter = SimpleUploadedFile(
            "bank-letter.pdf",
            evidence_pdf(
                f"{account.bank_name}: account confirmation",
                [f"{account.bank_name} confirms account {account.account_number}."],
                owner=account.firm.legal_name,
            ),
            content_type="application/pdf",
        )
        note = (
            ""
            if bank_accounts.holder_matches(account)
            else "The bank letter names the firm's registered name as the account's holder."
        )
        bank_accounts.verify_bank_account(
            actor=official, account=account, evidence=letter, note=note
        )


def seed() -> list[str]:
    """Idempotent: what exists is left alone. Returns lines to print."""
    admin = bootstrap_admin()
    for username, role, first, last, designation in STAFF[1:]:
        if not User.objects.filter(username=username).exists():
            services.create_staff_user(
                actor=admin,
                username=username,
                email=f"{username}@mhi.example.gov.in",
                role=role,
                password=DEMO_PASSWORD,
                first_name=first,
                last_name=last,
                designation=designation,
            )
    for data in [*FIRMS, FOREIGN]:
        if not User.objects.filter(username=data["user"]["username"]).exists():
            services.register_firm(
                firm=data["firm"], bank_account=data["bank_account"], user=data["user"]
            )
    verify_payout_accounts()
    neomag = Firm.objects.get(pan="AABCN1234F")
    if not neomag.led_consortia.exists():
        partner = Firm.objects.get(foreign_registration_number="0104-01-123456")
        consortium = services.form_consortium(
            actor=neomag.users.first(),
            name="NeoMag-Sakura Consortium",
            lead=neomag,
            members=[(neomag, "74"), (partner, "26")],
        )
        # Sakura's own user accepts, so the consortium is formed and may bid.
        consortia.respond(actor=partner.users.first(), consortium=consortium, accept=True)
    return [f"{User.objects.count()} people, {Firm.objects.count()} firms"]
