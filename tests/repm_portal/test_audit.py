"""The audit trail: written in the change's transaction, append-only in the database, hash-chained."""

from __future__ import annotations

import threading

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from repm_portal import audit
from repm_portal.models import AuditEvent
from tests.factories import PASSWORD, FirmFactory

# Triggers, advisory locks and concurrent transactions: also run against the TCP servers.
pytestmark = pytest.mark.integration


def _record(n: int, actor=None) -> AuditEvent:
    firm = FirmFactory()
    return audit.record(actor=actor, action="test.event", obj=firm, old={"n": n - 1}, new={"n": n})


@pytest.mark.django_db(transaction=True)
def test_record_refuses_to_write_outside_a_transaction(rules):
    # given autocommit mode: no transaction holds the change
    firm = FirmFactory()
    assert not connection.in_atomic_block
    # when / then: an audit row cannot be written on its own, and none is
    with pytest.raises(audit.AuditOutsideTransaction, match="inside the transaction"):
        audit.record(actor=None, action="x", obj=firm)
    assert not AuditEvent.objects.filter(action="x").exists()


@pytest.mark.django_db
def test_rows_link_to_their_predecessor_and_carry_who_what_and_values(users):
    # given two recorded changes by an official
    official = users["official"]
    first = _record(1, actor=official)
    second = _record(2, actor=official)
    # then the second links to the first, and the first to the genesis or an earlier row
    assert second.prev_hash == first.row_hash
    assert second.actor_label == f"{official.username} (Ministry official)"
    assert second.old_values == {"n": 1} and second.new_values == {"n": 2}
    assert second.object_type == "beneficiaries.firm"
    assert audit.verify_chain().intact


@pytest.mark.django_db
def test_the_database_refuses_update_and_delete_of_audit_rows_whoever_asks(rules):
    # given a recorded row
    row = _record(1)
    # when the ORM or raw SQL (as the owning superuser role) tries to change or remove it
    for statement in (
        "UPDATE repm_portal_auditevent SET action = 'forged' WHERE id = %s",
        "DELETE FROM repm_portal_auditevent WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement, [row.pk])
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=row.pk).update(action="forged")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=row.pk).delete()
    # then it is unchanged
    row.refresh_from_db()
    assert row.action == "test.event"


def _tamper(sql: str, params: list) -> None:
    """Bypass the trigger the way only a table owner could, to prove verification catches it."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # fire pending FK checks before ALTER
        cursor.execute("ALTER TABLE repm_portal_auditevent DISABLE TRIGGER USER")
        cursor.execute(sql, params)
        cursor.execute("ALTER TABLE repm_portal_auditevent ENABLE TRIGGER USER")


@pytest.mark.django_db
def test_verify_audit_chain_reports_the_first_tampered_row(rules, capsys):
    # given a chain of five rows, intact
    rows = [_record(i) for i in range(5)]
    call_command("verify_audit_chain")
    assert "intact" in capsys.readouterr().out
    # when someone edits the third row's values behind the trigger's back
    _tamper(
        "UPDATE repm_portal_auditevent SET new_values = '{\"n\": 999}' WHERE id = %s", [rows[2].pk]
    )
    # then the command fails and names that row
    with pytest.raises(CommandError, match=rf"BROKEN at row {rows[2].pk}\b.*altered"):
        call_command("verify_audit_chain")


@pytest.mark.django_db
def test_verify_audit_chain_detects_a_removed_row(rules):
    # given a chain, when a middle row is deleted behind the trigger's back
    rows = [_record(i) for i in range(4)]
    _tamper("DELETE FROM repm_portal_auditevent WHERE id = %s", [rows[1].pk])
    # then the row after the gap is reported: its link no longer matches
    report = audit.verify_chain()
    assert report.first_broken_id == rows[2].pk
    assert "removed" in report.reason


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_never_fork_the_chain(rules):
    # given many threads, each recording in its own transaction at the same moment
    start = threading.Barrier(8)
    errors: list[BaseException] = []
    firm = FirmFactory()

    def writer(i: int) -> None:
        try:
            start.wait()
            for j in range(5):
                with transaction.atomic():
                    audit.record(
                        actor=None, action="concurrent", obj=firm, new={"thread": i, "j": j}
                    )
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # then every row links to a distinct predecessor: one line, no fork, and it verifies
    assert not errors
    links = list(AuditEvent.objects.values_list("prev_hash", flat=True))
    assert AuditEvent.objects.filter(action="concurrent").count() == 40
    assert len(links) == len(set(links))
    assert audit.verify_chain().intact


@pytest.mark.django_db
def test_snapshot_and_changed_give_json_safe_differences(rules):
    # given a rule set (Decimal, date and array fields)
    snap = audit.snapshot(rules)
    assert snap["sli_pool"] == "64500000000.00"
    assert snap["effective_from"] == "2025-12-15"
    # when comparing two snapshots, only differing keys remain
    old, new = audit.changed({"a": 1, "b": 2}, {"a": 1, "b": 3, "c": 4})
    assert old == {"b": 2, "c": None} and new == {"b": 3, "c": 4}


@pytest.mark.django_db
def test_sign_ins_and_failed_sign_ins_are_audited(client, users):
    # when someone fails to log in, then logs in
    client.post("/accounts/login/", {"username": "the_official", "password": "wrong"})
    client.post("/accounts/login/", {"username": "the_official", "password": PASSWORD})
    # then both are in the trail, without the password
    failed = AuditEvent.objects.get(action="user.login_failed")
    assert failed.new_values["username"] == "the_official"
    assert "wrong" not in str(failed.new_values)
    assert AuditEvent.objects.filter(action="user.logged_in", actor=users["official"]).exists()


@pytest.mark.django_db
def test_the_admin_is_read_only_for_everyone(client, users):
    # given a superuser in Django's admin
    users["admin"].is_staff = users["admin"].is_superuser = True
    users["admin"].save()
    client.force_login(users["admin"])
    # then firms and rule sets can be browsed but not added or changed there
    assert client.get("/admin/beneficiaries/firm/").status_code == 200
    assert client.get("/admin/beneficiaries/firm/add/").status_code == 403
    assert client.get("/admin/repm_portal/ruleset/add/").status_code == 403
