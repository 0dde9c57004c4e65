"""factory_boy factories: people per role and firms with valid Indian KYC."""

from __future__ import annotations

import factory

from beneficiaries.models import BankAccount, Firm, User
from beneficiaries.validators import gstin_check_character
from repm_portal.roles import Role

PASSWORD = "correct-horse-battery-staple"


def pan_for(n: int) -> str:
    letters = "ABCDEFGHJKLMNPQRSTUVWXYZ"
    a, b = letters[n % 24], letters[(n // 24) % 24]
    return f"AA{a}C{b}{n % 10000:04d}F"


def gstin_for(pan: str, state: str = "27") -> str:
    body = f"{state}{pan}1Z"
    return body + gstin_check_character(body)


class FirmFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Firm

    legal_name = factory.Sequence(lambda n: f"Magnet Firm {n} Limited")
    country = "IN"
    pan = factory.Sequence(pan_for)
    gstin = factory.LazyAttribute(lambda o: gstin_for(o.pan))
    cin = factory.Sequence(lambda n: f"U27100MH2024PLC{n % 1000000:06d}")
    registered_address = "Plot 1, MIDC, Pune"
    signatory_name = "A. Signatory"
    signatory_designation = "Director"
    signatory_email = factory.Sequence(lambda n: f"director{n}@firm.example.in")
    signatory_phone = "+91 20 1234 5678"


class ForeignFirmFactory(FirmFactory):
    country = "JP"
    pan = ""
    gstin = ""
    cin = ""
    foreign_registration_number = factory.Sequence(lambda n: f"JP-{n:08d}")


class BankAccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BankAccount

    firm = factory.SubFactory(FirmFactory)
    account_holder = factory.LazyAttribute(lambda o: o.firm.legal_name)
    account_number = factory.Sequence(lambda n: f"{100000000 + n}")
    ifsc = "SBIN0000300"
    bank_name = "State Bank of India"
    branch = "Pune"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.in")
    role = Role.OFFICIAL
    firm = None
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class FirmUserFactory(UserFactory):
    role = Role.FIRM_USER
    firm = factory.SubFactory(FirmFactory)
