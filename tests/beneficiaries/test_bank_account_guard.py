"""Payouts cannot be redirected in one step (issue 12, hole 2).

The reproduction: a firm user (or an administrator for any firm) adds an account held by
"Mallory Traders", makes it primary, and the next sanction letter pays it.
"""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from beneficiaries import bank_accounts
from beneficiaries.models import BankAccount
from repm_portal.roles import Role
from tests.factories import PASSWORD, BankAccountFactory, FirmUserFactory, pdf_upload


def _mallory(actor, firm, holder="Mallory Traders"):
    return bank_accounts.add_bank_account(
        actor=actor,
        firm=firm,
        account_holder=holder,
        account_number="666666666666",
        ifsc="ICIC0000666",
        bank_name="ICICI Bank",
        branch="Elsewhere",
        make_primary=True,
        evidence=pdf_upload("cheque.pdf"),
    )


@pytest.fixture
def firm_account(rules):
    account = BankAccountFactory()
    return account, FirmUserFactory(firm=account.firm, email="cfo@firm.example")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("who", ["firm_user", "admin"])
def test_an_account_added_by_one_person_is_not_the_payout_account(firm_account, users, who):
    account, firm_user = firm_account
    actor = firm_user if who == "firm_user" else users[Role.ADMIN]

    mallory = _mallory(actor, account.firm)

    # then the payout account is unchanged and the new one is pending
    assert bank_accounts.payout_account(account.firm) == account
    assert (mallory.status, mallory.is_primary) == ("pending", False)
    # and the firm was told by e-mail, on commit
    assert any("cfo@firm.example" in m.to and "666666666666"[-4:] in m.subject for m in mail.outbox)


@pytest.mark.django_db
def test_the_sanction_letter_pays_only_a_verified_account(firm_account):
    from incentives.sanctions import _bank_account
    from tests.awards import make_award

    account, firm_user = firm_account
    award = make_award(firm=account.firm)
    _mallory(firm_user, account.firm)

    assert _bank_account(award)["number"] == account.account_number


@pytest.mark.django_db
def test_a_holder_name_that_is_not_the_firms_needs_the_verifiers_reason(firm_account, users):
    account, firm_user = firm_account
    mallory = _mallory(firm_user, account.firm)
    official = users[Role.OFFICIAL]

    with pytest.raises(ValidationError) as refused:
        bank_accounts.verify_bank_account(actor=official, account=mallory, note="ok")
    assert "not the firm's registered name" in str(refused.value)
    mallory.refresh_from_db()
    assert mallory.status == "pending"

    bank_accounts.verify_bank_account(
        actor=official,
        account=mallory,
        note="The bank letter shows Mallory Traders is the firm's trade name since 2024.",
    )
    mallory.refresh_from_db()
    assert (mallory.status, mallory.is_primary) == ("verified", True)
    assert bank_accounts.payout_account(account.firm) == mallory


@pytest.mark.django_db
def test_a_name_that_differs_only_in_how_it_is_written_matches(firm_account):
    account, _ = firm_account
    account.firm.legal_name = "Deccan Magnets Private Limited"
    account.account_holder = "DECCAN MAGNETS PVT. LTD."
    assert bank_accounts.holder_matches(account)


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.FIRM_USER, Role.ADMIN, Role.AUDITOR, Role.VERIFIER])
def test_no_one_but_an_official_verifies(firm_account, users, role):
    account, firm_user = firm_account
    mallory = _mallory(firm_user, account.firm, holder=account.firm.legal_name)
    actor = firm_user if role == Role.FIRM_USER else users[role]

    with pytest.raises(PermissionDenied):
        bank_accounts.verify_bank_account(actor=actor, account=mallory)
    mallory.refresh_from_db()
    assert mallory.status == "pending"


@pytest.mark.django_db
def test_verification_needs_evidence_and_rejection_a_reason(firm_account, users):
    account, firm_user = firm_account
    bare = bank_accounts.add_bank_account(
        actor=firm_user,
        firm=account.firm,
        account_holder=account.firm.legal_name,
        account_number="123412341234",
        ifsc="HDFC0001234",
        bank_name="HDFC Bank",
        branch="Baner",
    )
    official = users[Role.OFFICIAL]
    with pytest.raises(ValidationError, match="Attach the cancelled cheque"):
        bank_accounts.verify_bank_account(actor=official, account=bare)
    with pytest.raises(ValidationError, match="at least a sentence"):
        bank_accounts.reject_bank_account(actor=official, account=bare, note="x")
    bank_accounts.reject_bank_account(
        actor=official, account=bare, note="The cheque is of another account number."
    )
    bare.refresh_from_db()
    assert bare.status == BankAccount.Status.REJECTED and not bare.is_primary


@pytest.mark.django_db
def test_the_official_verifies_on_the_page(firm_account, users, client, media_root):
    account, firm_user = firm_account
    mallory = _mallory(firm_user, account.firm, holder=account.firm.legal_name)
    url = reverse("bank_account_verify", args=[account.firm_id, mallory.pk])

    client.login(username=firm_user.username, password=PASSWORD)
    assert client.get(url).status_code == 403

    client.login(username=users[Role.OFFICIAL].username, password=PASSWORD)
    page = client.get(url)
    assert page.status_code == 200 and "666666666666" in page.content.decode()
    client.post(url, {"decision": "verify", "note": ""})
    mallory.refresh_from_db()
    assert mallory.status == "verified" and mallory.is_primary
