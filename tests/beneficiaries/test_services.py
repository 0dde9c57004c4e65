"""Writes for firms, bank accounts, consortia and people: all or nothing, audited, and backed by the database."""

from __future__ import annotations

import threading
import time
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, IntegrityError, connection, transaction

from beneficiaries import bank_accounts, services
from beneficiaries.models import BankAccount, Consortium, ConsortiumMember, Firm, User
from beneficiaries.validators import gstin_check_character
from repm_portal import audit
from repm_portal.models import AuditEvent
from repm_portal.roles import Role
from tests.factories import (
    PASSWORD,
    BankAccountFactory,
    FirmFactory,
    FirmUserFactory,
    ForeignFirmFactory,
    UserFactory,
    gstin_for,
    pdf_upload,
)

# A PAN the factories never produce (theirs end in F), with its GSTIN and a company CIN.
PAN = "AAACR5055K"
GSTIN = gstin_for(PAN)
CIN = "L29299MH2010PLC123456"


def _registration(
    *, firm: dict | None = None, bank: dict | None = None, user: dict | None = None
) -> dict:
    """Keyword arguments for register_firm: a valid Indian company, with overrides."""
    return {
        "firm": {
            "legal_name": "Rare Earth Magnetics Limited",
            "country": "IN",
            "cin": CIN,
            "pan": PAN,
            "gstin": GSTIN,
            "registered_address": "Plot 7, Chakan MIDC, Pune 410501",
            "signatory_name": "Meera Kulkarni",
            "signatory_designation": "Managing Director",
            "signatory_email": "md@remagnetics.example.in",
            "signatory_phone": "+91 20 2745 1000",
        }
        | (firm or {}),
        "bank_account": {
            "account_holder": "Rare Earth Magnetics Limited",
            "account_number": "003123456789",
            "ifsc": "SBIN0000300",
            "bank_name": "State Bank of India",
            "branch": "Pune Main",
        }
        | (bank or {}),
        "user": {
            "username": "meera",
            "email": "meera@remagnetics.example.in",
            "password": PASSWORD,
            "first_name": "Meera",
            "last_name": "Kulkarni",
        }
        | (user or {}),
    }


def _counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Firm, User, BankAccount, Consortium, ConsortiumMember, AuditEvent)
    }


def _refused_registration(**overrides) -> dict[str, list[str]]:
    """Register with the overrides; expect a ValidationError and no row written anywhere."""
    before = _counts()
    with pytest.raises(ValidationError) as caught:
        services.register_firm(**_registration(**overrides))
    assert _counts() == before
    return caught.value.message_dict


def _fire_deferred_checks() -> None:
    """Run the deferred constraint triggers now, as COMMIT would."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def _bank_letter():
    return pdf_upload("bank-letter.pdf", "Account confirmation")


def _new_events(since: int) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(id__gt=since).order_by("id"))


def _last_event_id() -> int:
    return AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


# --- register_firm: the happy path ----------------------------------------------------------


@pytest.mark.django_db
def test_register_firm_creates_the_firm_its_user_and_primary_account_with_audit_rows(rules):
    # given an empty register
    before = _counts()
    since = _last_event_id()

    # when a firm registers
    firm, user = services.register_firm(**_registration())

    # then exactly one firm, one firm user and one primary bank account exist, linked up
    after = _counts()
    assert after["Firm"] == before["Firm"] + 1
    assert after["User"] == before["User"] + 1
    assert after["BankAccount"] == before["BankAccount"] + 1
    assert (firm.pan, firm.gstin, firm.cin, firm.country) == (PAN, GSTIN, CIN, "IN")
    assert user.role == Role.FIRM_USER and user.firm_id == firm.pk
    assert user.check_password(PASSWORD)
    account = BankAccount.objects.get(firm=firm)
    # pending a second person's verification: recorded, asked to be the payout one, not yet it
    assert account.created_by_id == user.pk
    assert (account.status, account.to_be_primary, account.is_primary) == ("pending", True, False)
    assert firm.primary_bank_account is None

    # and three audit rows record it, by the new user, with the new values
    events = _new_events(since)
    assert [e.action for e in events] == ["firm.registered", "user.created", "bank_account.added"]
    assert {e.actor_id for e in events} == {user.pk}
    registered, created, added = events
    assert registered.object_id == str(firm.pk) and registered.old_values is None
    assert registered.new_values["pan"] == PAN
    assert registered.new_values["gstin"] == GSTIN
    assert registered.new_values["legal_name"] == "Rare Earth Magnetics Limited"
    assert created.new_values["username"] == "meera"
    assert created.new_values["role"] == "firm_user"
    assert created.new_values["firm_id"] == firm.pk
    assert "password" not in created.new_values
    assert added.object_id == str(account.pk)
    assert added.new_values["ifsc"] == "SBIN0000300"
    assert added.new_values["account_number"] == "003123456789"
    assert added.new_values["is_primary"] is False
    assert added.new_values["status"] == "pending"
    assert audit.verify_chain().intact


@pytest.mark.django_db
def test_register_firm_accepts_lowercase_identifiers_with_spaces_and_stores_them_normalised(
    rules,
):
    # given identifiers typed in lower case with spaces, as people paste them from documents
    spaced_gstin = f"{GSTIN[:2]} {GSTIN[2:12].lower()} {GSTIN[12:].lower()}"

    # when the firm registers
    firm, _user = services.register_firm(
        **_registration(
            firm={"pan": "aaacr 5055k", "gstin": spaced_gstin, "cin": CIN.lower(), "country": "in"},
            bank={"ifsc": "sbin 0000300", "account_number": "0031 2345 6789"},
        )
    )

    # then they are accepted and stored in the one canonical form: capitals, no spaces
    firm.refresh_from_db()
    assert (firm.pan, firm.gstin, firm.cin, firm.country) == (PAN, GSTIN, CIN, "IN")
    account = firm.bank_accounts.get()
    assert (account.ifsc, account.account_number) == ("SBIN0000300", "003123456789")


@pytest.mark.django_db
def test_a_foreign_firm_registers_with_its_home_registration_number_and_no_indian_ids(rules):
    # given a Japanese company with no CIN, PAN or GSTIN
    overrides = {"country": "JP", "cin": "", "pan": "", "gstin": ""}
    overrides["foreign_registration_number"] = "0104-01-123456"

    # when it registers
    firm, user = services.register_firm(**_registration(firm=overrides))

    # then it is recorded as foreign
    assert firm.country == "JP" and not firm.is_indian
    assert firm.foreign_registration_number == "0104-01-123456"
    assert (firm.cin, firm.pan, firm.gstin) == ("", "", "")
    assert user.firm == firm


# --- register_firm: refusals, each specific, each changing nothing --------------------------


@pytest.mark.django_db
def test_a_gstin_with_the_wrong_check_character_is_refused_naming_the_expected_one(rules):
    # given a GSTIN whose last character is not its check character
    expected = gstin_check_character(GSTIN[:14])
    wrong = "9" if expected != "9" else "8"

    # when the firm registers with it, then it is refused, nothing is written
    errors = _refused_registration(firm={"gstin": GSTIN[:14] + wrong})

    # and the message names the field and the character it should be
    assert list(errors) == ["gstin"]
    assert errors["gstin"] == [f"Check character should be '{expected}', not '{wrong}'"]


@pytest.mark.django_db
def test_a_gstin_issued_to_another_pan_is_refused(rules):
    # given a valid GSTIN, but issued to a different PAN from the firm's
    other_pan = "AAACS1234D"

    # when the firm registers with it
    errors = _refused_registration(firm={"gstin": gstin_for(other_pan)})

    # then the GSTIN is refused, saying whose PAN it carries
    assert list(errors) == ["gstin"]
    assert errors["gstin"] == [
        f"GSTIN {gstin_for(other_pan)} belongs to PAN {other_pan}, not {PAN}"
    ]


@pytest.mark.django_db
def test_a_pan_already_registered_is_refused(rules):
    # given a firm already registered with the PAN (its GSTIN from another state)
    FirmFactory(pan=PAN, gstin=gstin_for(PAN, state="29"))

    # when a second firm registers with the same PAN
    errors = _refused_registration()

    # then the PAN is refused as a duplicate
    assert errors["pan"] == ["A firm with this PAN is already registered."]


@pytest.mark.django_db
def test_an_indian_firm_without_a_cin_is_refused(rules):
    errors = _refused_registration(firm={"cin": ""})

    assert errors == {"cin": ["An Indian company must give its CIN."]}


@pytest.mark.django_db
def test_a_foreign_firm_without_its_registration_number_is_refused(rules):
    errors = _refused_registration(
        firm={"country": "JP", "cin": "", "pan": "", "gstin": "", "foreign_registration_number": ""}
    )

    assert errors == {
        "foreign_registration_number": [
            "A foreign firm must give its registration number in its home country."
        ]
    }


@pytest.mark.django_db
def test_a_malformed_ifsc_is_refused(rules):
    errors = _refused_registration(bank={"ifsc": "SBIN1000300"})

    assert errors == {"bank_ifsc": ["IFSC 5th character must be the digit '0'; got '1'"]}


@pytest.mark.django_db
def test_an_account_number_under_nine_digits_is_refused(rules):
    errors = _refused_registration(bank={"account_number": "12345678"})

    assert errors == {"bank_account_number": ["Account number must be 9 to 18 digits."]}


@pytest.mark.django_db
def test_a_weak_password_is_refused(rules):
    errors = _refused_registration(user={"password": "password"})

    assert list(errors) == ["password"]
    assert "This password is too common." in errors["password"]


@pytest.mark.django_db
def test_a_taken_username_is_refused_whatever_its_case(rules):
    # given a user called meera
    UserFactory(username="meera")

    # when a firm registers its first user as MEERA
    errors = _refused_registration(user={"username": "MEERA"})

    # then the username is refused
    assert errors == {"username": ["This username is taken."]}


@pytest.mark.django_db
def test_several_mistakes_are_all_reported_at_once(rules):
    # given a registration with four unrelated mistakes
    overrides = {
        "firm": {"gstin": GSTIN[:14] + ("9" if GSTIN[14] != "9" else "8"), "cin": ""},
        "bank": {"ifsc": "SBI0000300"},
        "user": {"password": "123"},
    }

    # when the firm registers
    errors = _refused_registration(**overrides)

    # then every one is reported, each under its own field
    assert set(errors) == {"gstin", "cin", "bank_ifsc", "password"}


@pytest.mark.django_db
def test_an_over_long_bank_name_is_a_validation_error_not_a_database_error(rules):
    errors = _refused_registration(bank={"bank_name": "B" * 201})

    assert "bank_bank_name" in errors


@pytest.mark.parametrize(("field", "value"), [("username", "meera k!"), ("email", "not-an-email")])
@pytest.mark.django_db
def test_a_username_or_email_the_user_model_refuses_is_refused(rules, field, value):
    errors = _refused_registration(user={field: value})

    assert field in errors


@pytest.mark.django_db
def test_a_foreign_firm_already_registered_cannot_register_again(rules):
    # given a Japanese firm registered under its home registration number
    ForeignFirmFactory(country="JP", foreign_registration_number="0104-01-123456")

    # when another registration gives the same country and number
    errors = _refused_registration(
        firm={
            "country": "JP",
            "cin": "",
            "pan": "",
            "gstin": "",
            "foreign_registration_number": "0104-01-123456",
        }
    )

    # then it is refused as a duplicate
    assert "foreign_registration_number" in errors


# --- add_bank_account -----------------------------------------------------------------------


@pytest.mark.django_db
def test_a_new_account_waits_for_an_official_then_becomes_primary_and_the_old_one_is_demoted(
    rules, users
):
    # given a firm with a primary account and one of its users
    old = BankAccountFactory(is_primary=True)
    firm_user = FirmUserFactory(firm=old.firm)
    since = _last_event_id()

    # when the user adds a new account for payouts
    new = services.add_bank_account(
        actor=firm_user,
        firm=old.firm,
        account_holder=old.firm.legal_name,
        account_number="5010 0123 4567 89",
        ifsc="hdfc0001234",
        bank_name="HDFC Bank",
        branch="Baner",
    )

    # then it is pending and the old account still receives payouts
    old.refresh_from_db()
    assert old.is_primary and old.firm.primary_bank_account == old
    assert (new.status, new.is_primary, new.to_be_primary) == ("pending", False, True)
    assert (new.ifsc, new.account_number) == ("HDFC0001234", "50100123456789")
    (added,) = _new_events(since)
    assert (added.action, added.object_id, added.actor_id) == (
        "bank_account.added",
        str(new.pk),
        firm_user.pk,
    )

    # when an official verifies it against the bank's letter
    official = users[Role.OFFICIAL]
    bank_accounts.verify_bank_account(actor=official, account=new, evidence=_bank_letter())

    # then it is the only primary one, and the demotion and verification are audited
    old.refresh_from_db()
    new.refresh_from_db()
    assert not old.is_primary
    assert (new.status, new.is_primary, new.verified_by) == ("verified", True, official)
    assert old.firm.primary_bank_account == new
    demoted, verified = _new_events(added.pk)
    assert (demoted.action, demoted.object_id) == ("bank_account.demoted", str(old.pk))
    assert demoted.old_values == {"is_primary": True}
    assert demoted.new_values == {"is_primary": False}
    assert verified.action == "bank_account.verified" and verified.actor_id == official.pk
    assert verified.old_values["status"] == "pending"
    assert verified.new_values["status"] == "verified"


@pytest.mark.parametrize("who", ["another_firms_user", "official"])
@pytest.mark.django_db
def test_only_the_firms_own_users_may_add_its_bank_accounts(rules, users, who):
    # given a firm with its primary account, and someone who is not one of its users
    old = BankAccountFactory(is_primary=True)
    actor = FirmUserFactory() if who == "another_firms_user" else users[Role.OFFICIAL]
    before = _counts()

    # when that someone tries to add an account
    with pytest.raises(PermissionDenied):
        services.add_bank_account(
            actor=actor,
            firm=old.firm,
            account_holder="Somebody Else",
            account_number="999988887777",
            ifsc="ICIC0000001",
            bank_name="ICICI Bank",
            branch="Mumbai",
        )

    # then nothing changed: the old account is still the primary one, nothing audited
    assert _counts() == before
    old.refresh_from_db()
    assert old.is_primary


def _lock_waiters() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_two_users_of_a_firm_adding_primary_accounts_at_once_both_succeed(rules):
    # given a firm with a primary account and two of its users
    old = BankAccountFactory(is_primary=True)
    first_user, second_user = FirmUserFactory(firm=old.firm), FirmUserFactory(firm=old.firm)
    first_added, release_first = threading.Event(), threading.Event()
    failures: list[Exception] = []

    def account(number: str) -> dict:
        return {
            "account_holder": old.firm.legal_name,
            "account_number": number,
            "ifsc": "HDFC0001234",
            "bank_name": "HDFC Bank",
            "branch": "Baner",
        }

    def first() -> None:
        try:
            with transaction.atomic():
                services.add_bank_account(actor=first_user, firm=old.firm, **account("111111111"))
                first_added.set()
                release_first.wait(10)
        except Exception as exc:
            failures.append(exc)
        finally:
            first_added.set()
            connection.close()

    def second() -> None:
        first_added.wait(10)
        try:
            services.add_bank_account(actor=second_user, firm=old.firm, **account("222222222"))
        except Exception as exc:
            failures.append(exc)
        finally:
            connection.close()

    # when the second user adds an account while the first user's addition is still open
    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 5
    while _lock_waiters() == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    release_first.set()
    for thread in threads:
        thread.join(10)

    # then both additions succeed, both wait for verification, and payouts still go to the old one
    assert failures == []
    pending = BankAccount.objects.filter(firm=old.firm, status="pending", to_be_primary=True)
    assert sorted(pending.values_list("account_number", flat=True)) == ["111111111", "222222222"]
    primaries = BankAccount.objects.filter(firm=old.firm, is_primary=True)
    assert list(primaries.values_list("account_number", flat=True)) == [old.account_number]


# --- form_consortium ------------------------------------------------------------------------


@pytest.fixture
def lead_user(rules):
    """A user of the firm that will lead."""
    return FirmUserFactory()


@pytest.mark.django_db
def test_a_valid_74_26_consortium_is_proposed_and_audited(lead_user):
    # given a lead firm's user and a partner firm
    lead, partner = lead_user.firm, FirmFactory()
    since = _last_event_id()

    # when the lead forms a consortium holding 74 %
    consortium = services.form_consortium(
        actor=lead_user,
        name=" Magnet Consortium ",
        lead=lead,
        members=[(lead, 74), (partner, "26")],
    )

    # then the consortium and its two members exist with their shares
    assert consortium.name == "Magnet Consortium" and consortium.lead == lead
    assert consortium.created_by == lead_user
    shares = {m.firm_id: m.equity_pct for m in consortium.members.all()}
    assert shares == {lead.pk: Decimal("74.00"), partner.pk: Decimal("26.00")}

    # and the database's own check, run as at commit, agrees
    _fire_deferred_checks()

    # and one audit row records it with the rule-set version applied
    (event,) = _new_events(since)
    assert event.action == "consortium.proposed" and event.actor_id == lead_user.pk
    assert event.new_values == {
        "name": "Magnet Consortium",
        "lead_id": lead.pk,
        "status": "proposed",
        "members": {lead.legal_name: "74", partner.legal_name: "26"},
        "rule_set_version": 1,
    }


def _refused_consortium(actor, lead, members, name="Magnet Consortium") -> dict[str, list[str]]:
    before = _counts()
    with pytest.raises(ValidationError) as caught:
        services.form_consortium(actor=actor, name=name, lead=lead, members=members)
    assert _counts() == before
    return caught.value.message_dict


@pytest.mark.django_db
def test_a_lead_under_51_percent_is_refused_and_nothing_is_created(lead_user):
    lead, partner = lead_user.firm, FirmFactory()

    errors = _refused_consortium(lead_user, lead, [(lead, "50"), (partner, "50")])

    assert list(errors) == ["lead"]
    (message,) = errors["lead"]
    assert "51 %" in message and "holds 50 %" in message and "rule set v1" in message


@pytest.mark.django_db
def test_shares_that_do_not_add_up_to_100_are_refused(lead_user):
    lead, partner = lead_user.firm, FirmFactory()

    errors = _refused_consortium(lead_user, lead, [(lead, "60"), (partner, "30")])

    assert errors == {"members": ["Equity shares add up to 90 %, not 100 %."]}


@pytest.mark.django_db
def test_a_lead_that_is_not_a_member_is_refused(lead_user):
    first, second = FirmFactory(), FirmFactory()

    errors = _refused_consortium(lead_user, lead_user.firm, [(first, "60"), (second, "40")])

    assert errors == {"lead": ["The lead must be one of the members."]}


@pytest.mark.django_db
def test_a_consortium_of_one_firm_is_refused(lead_user):
    errors = _refused_consortium(lead_user, lead_user.firm, [(lead_user.firm, "100")])

    assert errors == {"members": ["A consortium needs at least two member firms."]}


@pytest.mark.django_db
def test_a_firm_listed_twice_is_refused(lead_user):
    lead, partner = lead_user.firm, FirmFactory()

    errors = _refused_consortium(lead_user, lead, [(lead, "74"), (partner, "13"), (partner, "13")])

    assert f"{partner} is listed twice." in errors["members"]


@pytest.mark.django_db
def test_a_user_of_another_firm_may_not_form_a_consortium_led_by_this_one(lead_user):
    # given a lead firm, a partner, and a user of a third firm
    lead, partner = lead_user.firm, FirmFactory()
    outsider = FirmUserFactory()
    before = _counts()

    # when the outsider tries to form a consortium in the lead's name
    with pytest.raises(PermissionDenied):
        services.form_consortium(
            actor=outsider, name="Hijack", lead=lead, members=[(lead, 74), (partner, 26)]
        )

    # then nothing is created
    assert _counts() == before


@pytest.mark.django_db
def test_shares_with_more_than_two_decimal_places_are_refused(lead_user):
    # given shares that add up to 100 only with three decimal places
    lead, partner = lead_user.firm, FirmFactory()
    members = [(lead, "66.665"), (partner, "33.335")]

    # when the consortium is formed and committed, then the service refuses it itself
    with pytest.raises(ValidationError), transaction.atomic():
        services.form_consortium(actor=lead_user, name="C", lead=lead, members=members)
        _fire_deferred_checks()


@pytest.mark.django_db
def test_a_share_that_is_not_a_number_is_refused(lead_user):
    lead, partner = lead_user.firm, FirmFactory()

    errors = _refused_consortium(lead_user, lead, [(lead, "NaN"), (partner, "26")])

    assert "members" in errors


# --- the database's own consortium check ----------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_database_refuses_at_commit_a_consortium_whose_shares_do_not_add_up(rules):
    # given two firms
    lead, partner = FirmFactory(), FirmFactory()

    # when a consortium with 60 + 30 % is written straight through the ORM, bypassing the service
    with pytest.raises(IntegrityError, match="add up to 90"), transaction.atomic():
        consortium = Consortium.objects.create(name="Bypass", lead=lead)
        ConsortiumMember.objects.create(consortium=consortium, firm=lead, equity_pct=60)
        ConsortiumMember.objects.create(consortium=consortium, firm=partner, equity_pct=30)

    # then the commit was refused and nothing is left
    assert not Consortium.objects.exists()
    assert not ConsortiumMember.objects.exists()


@pytest.mark.django_db
def test_the_database_refuses_a_lead_holding_under_the_minimum(rules):
    lead, partner = FirmFactory(), FirmFactory()

    with pytest.raises(IntegrityError, match="at least 51"), transaction.atomic():
        consortium = Consortium.objects.create(name="Bypass", lead=lead)
        ConsortiumMember.objects.create(consortium=consortium, firm=lead, equity_pct=40)
        ConsortiumMember.objects.create(consortium=consortium, firm=partner, equity_pct=60)
        _fire_deferred_checks()

    assert not Consortium.objects.exists()


@pytest.mark.django_db
def test_the_database_refuses_a_share_changed_after_formation(lead_user):
    # given a valid consortium
    lead, partner = lead_user.firm, FirmFactory()
    consortium = services.form_consortium(
        actor=lead_user, name="Magnet Consortium", lead=lead, members=[(lead, 74), (partner, 26)]
    )
    _fire_deferred_checks()

    # when the partner's share is raised behind the service's back
    with pytest.raises(IntegrityError, match="add up to 104"), transaction.atomic():
        ConsortiumMember.objects.filter(consortium=consortium, firm=partner).update(equity_pct=30)
        _fire_deferred_checks()

    # then the shares are as formed
    assert consortium.members.get(firm=partner).equity_pct == Decimal("26.00")


@pytest.mark.django_db
def test_the_database_refuses_switching_the_lead_to_a_minority_member(lead_user):
    # given a valid 74/26 consortium
    lead, partner = lead_user.firm, FirmFactory()
    consortium = services.form_consortium(
        actor=lead_user, name="Magnet Consortium", lead=lead, members=[(lead, 74), (partner, 26)]
    )
    _fire_deferred_checks()

    # when the lead is switched to the 26 % partner through the ORM, the database refuses
    with pytest.raises(DatabaseError, match="at least 51"), transaction.atomic():
        Consortium.objects.filter(pk=consortium.pk).update(lead=partner)
        _fire_deferred_checks()


@pytest.mark.django_db
def test_the_database_refuses_a_consortium_without_members(rules):
    lead = FirmFactory()

    with pytest.raises(DatabaseError), transaction.atomic():
        Consortium.objects.create(name="Empty", lead=lead)
        _fire_deferred_checks()


# --- create_staff_user and set_user_active --------------------------------------------------


@pytest.mark.django_db
def test_an_administrator_creates_a_staff_user_and_it_is_audited(users):
    # given an administrator
    admin = users[Role.ADMIN]
    since = _last_event_id()

    # when the administrator adds a verifier
    verifier = services.create_staff_user(
        actor=admin,
        username="pma.verifier",
        email="verifier@pma.example.in",
        role=Role.VERIFIER,
        password=PASSWORD,
        first_name="Arun",
        designation="Senior consultant",
    )

    # then the verifier can log in with that role and no firm
    verifier.refresh_from_db()
    assert verifier.role == Role.VERIFIER and verifier.firm is None
    assert verifier.designation == "Senior consultant"
    assert verifier.check_password(PASSWORD) and verifier.is_active

    # and the creation is audited by the administrator, without the password
    (event,) = _new_events(since)
    assert (event.action, event.actor_id, event.object_id) == (
        "user.created",
        admin.pk,
        str(verifier.pk),
    )
    assert event.new_values["username"] == "pma.verifier"
    assert event.new_values["role"] == "verifier"
    assert event.new_values["firm_id"] is None
    assert "password" not in event.new_values


@pytest.mark.parametrize("role", [Role.OFFICIAL, Role.AUDITOR, Role.FIRM_USER])
@pytest.mark.django_db
def test_only_an_administrator_may_create_staff_users(users, role):
    before = _counts()

    with pytest.raises(PermissionDenied):
        services.create_staff_user(
            actor=users[role],
            username="sneaky",
            email="s@example.in",
            role=Role.ADMIN,
            password=PASSWORD,
        )

    assert _counts() == before


@pytest.mark.django_db
def test_an_administrator_cannot_create_a_firm_user(users):
    before = _counts()

    with pytest.raises(ValidationError) as caught:
        services.create_staff_user(
            actor=users[Role.ADMIN],
            username="firmless",
            email="f@example.in",
            role=Role.FIRM_USER,
            password=PASSWORD,
        )

    assert caught.value.message_dict == {
        "role": ["Firm users join through their firm's registration."]
    }
    assert _counts() == before


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"username": "THE_OFFICIAL"}, "This username is taken."),
        ({"password": "12345678"}, "This password is entirely numeric."),
        ({"role": "superuser"}, "Unknown role 'superuser'."),
    ],
)
@pytest.mark.django_db
def test_create_staff_user_refuses_bad_input_and_writes_nothing(users, overrides, message):
    before = _counts()
    arguments = {
        "actor": users[Role.ADMIN],
        "username": "new.evaluator",
        "email": "e@example.in",
        "role": Role.EVALUATOR,
        "password": PASSWORD,
    } | overrides

    with pytest.raises(ValidationError) as caught:
        services.create_staff_user(**arguments)

    assert message in caught.value.messages
    assert _counts() == before


@pytest.mark.django_db
def test_an_administrator_deactivates_and_reactivates_a_user_each_change_audited(users):
    # given an administrator and an active official
    admin, official = users[Role.ADMIN], users[Role.OFFICIAL]
    since = _last_event_id()

    # when the official is deactivated
    services.set_user_active(actor=admin, user=official, active=False)

    # then the official holds no role any more
    official.refresh_from_db()
    assert not official.is_active
    with pytest.raises(PermissionDenied):
        services.create_staff_user(
            actor=official,
            username="x",
            email="x@example.in",
            role=Role.AUDITOR,
            password=PASSWORD,
        )

    # when deactivated again (nothing to do), then reactivated
    services.set_user_active(actor=admin, user=official, active=False)
    services.set_user_active(actor=admin, user=official, active=True)

    # then the official is active, and only the two real changes were audited
    official.refresh_from_db()
    assert official.is_active
    events = _new_events(since)
    assert [(e.action, e.old_values, e.new_values) for e in events] == [
        ("user.deactivated", {"is_active": True}, {"is_active": False}),
        ("user.activated", {"is_active": False}, {"is_active": True}),
    ]
    assert {e.actor_id for e in events} == {admin.pk}


@pytest.mark.django_db
def test_an_administrator_cannot_deactivate_their_own_account(users):
    admin = users[Role.ADMIN]

    with pytest.raises(ValidationError, match="your own account"):
        services.set_user_active(actor=admin, user=admin, active=False)

    admin.refresh_from_db()
    assert admin.is_active


@pytest.mark.parametrize("role", [Role.OFFICIAL, Role.AUDITOR, Role.FIRM_USER])
@pytest.mark.django_db
def test_only_an_administrator_may_deactivate_users(users, role):
    target = users[Role.EVALUATOR]
    before = _counts()

    with pytest.raises(PermissionDenied):
        services.set_user_active(actor=users[role], user=target, active=False)

    target.refresh_from_db()
    assert target.is_active
    assert _counts() == before


# --- model constraints: full_clean() and the database both refuse bad rows ------------------


def _firm_user_without_firm() -> User:
    user = User(username="orphan", email="o@example.in", role=Role.FIRM_USER, firm=None)
    user.set_password(PASSWORD)
    return user


def _official_with_a_firm() -> User:
    user = User(username="conflicted", email="c@example.in", role=Role.OFFICIAL)
    user.firm = FirmFactory()
    user.set_password(PASSWORD)
    return user


def _user_with_unknown_role() -> User:
    user = User(username="who", email="w@example.in", role="superuser")
    user.set_password(PASSWORD)
    return user


def _indian_firm_without_gstin() -> Firm:
    return FirmFactory.build(gstin="")


def _foreign_firm_without_registration() -> Firm:
    return ForeignFirmFactory.build(foreign_registration_number="")


def _bank_account_with_bad_ifsc() -> BankAccount:
    return BankAccountFactory.build(
        firm=FirmFactory(), created_by=UserFactory(), ifsc="SBIN1000300"
    )


def _bank_account_with_short_number() -> BankAccount:
    return BankAccountFactory.build(
        firm=FirmFactory(), created_by=UserFactory(), account_number="12345"
    )


def _member_with_zero_share() -> ConsortiumMember:
    # The consortium itself is valid (two members, 74/26), so only the new row is at fault.
    lead, partner = FirmFactory(), FirmFactory()
    consortium = Consortium.objects.create(name="C", lead=lead)
    ConsortiumMember.objects.create(consortium=consortium, firm=lead, equity_pct=74)
    ConsortiumMember.objects.create(consortium=consortium, firm=partner, equity_pct=26)
    return ConsortiumMember(consortium=consortium, firm=FirmFactory(), equity_pct=0)


# constraint (and case) -> a builder of an unsaved row that breaks it
BAD_ROWS = {
    "user_firm_iff_firm_role (firm user, no firm)": _firm_user_without_firm,
    "user_firm_iff_firm_role (official with a firm)": _official_with_a_firm,
    "user_role_known": _user_with_unknown_role,
    "firm_indian_has_cin_pan_gstin": _indian_firm_without_gstin,
    "firm_foreign_has_registration": _foreign_firm_without_registration,
    "bank_ifsc_format": _bank_account_with_bad_ifsc,
    "bank_account_number_digits": _bank_account_with_short_number,
    "member_share_in_range": _member_with_zero_share,
}


@pytest.mark.parametrize("case", list(BAD_ROWS))
@pytest.mark.django_db
def test_full_clean_refuses_a_row_that_breaks_a_model_constraint(rules, case):
    # given an unsaved row that breaks the constraint
    row = BAD_ROWS[case]()
    constraint = case.split(" ")[0]

    # when it is cleaned
    with pytest.raises(ValidationError) as caught:
        row.full_clean()

    # then it is refused: a field outside its choices at the field, any other by the constraint
    errors = caught.value.message_dict
    if constraint == "user_role_known":
        assert errors == {"role": ["Value 'superuser' is not a valid choice."]}
    else:
        assert errors == {"__all__": [f"Constraint “{constraint}” is violated."]}


@pytest.mark.parametrize("case", list(BAD_ROWS))
@pytest.mark.django_db
def test_the_database_refuses_a_row_that_breaks_a_model_constraint(rules, case):
    # given an unsaved row that breaks the constraint
    row = BAD_ROWS[case]()
    model = type(row)
    before = model.objects.count()

    # when it is saved without cleaning, then PostgreSQL refuses it, naming the constraint
    with pytest.raises(IntegrityError, match=case.split(" ")[0]), transaction.atomic():
        row.save()
    assert model.objects.count() == before


@pytest.mark.django_db
def test_the_database_refuses_a_second_primary_account_for_a_firm(rules):
    # given a firm with a primary account
    first = BankAccountFactory(is_primary=True)

    # when another primary account is written directly, then the partial unique index refuses it
    with pytest.raises(IntegrityError, match="bank_one_primary_per_firm"), transaction.atomic():
        BankAccountFactory(firm=first.firm, is_primary=True)
    assert first.firm.bank_accounts.count() == 1


@pytest.mark.django_db
def test_full_clean_accepts_a_valid_bank_account_recorded_by_no_user(rules):
    account = BankAccountFactory.build(firm=FirmFactory(), created_by=None)

    account.full_clean()
