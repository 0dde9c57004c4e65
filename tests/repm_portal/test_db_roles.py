"""The application's database role: it owns nothing, and cannot change or empty append-only tables."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import subprocess
import sys
from urllib.parse import quote

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections, transaction

from incentives import ledger
from incentives.models import EntryKind, LedgerEntry, Pool
from repm_portal import audit, dbroles
from repm_portal.apps import grant_app_role, refuse_privileged_role
from repm_portal.models import AuditEvent
from tests.factories import AwardFactory

pytestmark = [pytest.mark.django_db, pytest.mark.integration]
# Roles are cluster-wide: one name per test run, made and dropped inside each test's transaction.
_SUFFIX = re.sub(r"[^a-z0-9_]", "_", os.environ.get("REPM_TEST_DB_SUFFIX", "").lower())
ROLE = f"repm_app{_SUFFIX}_test"
OWNER = f"repm_owner{_SUFFIX}_test"
# The append-only tables the issue names (audit, ledger, rule sets) among all that are found.
CORE_APPEND_ONLY = {"repm_portal_auditevent", "incentives_ledgerentry", "repm_portal_ruleset"}
DENIED = r"permission denied|must be owner"


@pytest.fixture
def app_role(settings):
    """The application's role, granted as `migrate` grants it (the post_migrate handler)."""
    with connection.cursor() as cursor:
        dbroles.ensure_role(cursor, ROLE, "not-used-to-log-in")
    settings.DATABASE_APP_ROLE = ROLE
    grant_app_role(using=DEFAULT_DB_ALIAS)
    return ROLE


@contextlib.contextmanager
def acting_as(role: str):
    with connection.cursor() as cursor:
        cursor.execute(f'SET ROLE "{role}"')
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")


def _refused(sql: str) -> None:
    with (
        pytest.raises(DatabaseError, match=DENIED),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)


def _first_column(table: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = %s "
            "AND column_name <> 'id' ORDER BY ordinal_position LIMIT 1",
            [table],
        )
        return cursor.fetchone()[0]


def test_the_append_only_tables_are_found_by_their_triggers():
    found = dbroles.append_only_tables()
    assert found >= CORE_APPEND_ONLY
    assert "bidding_bid" not in found  # a bid changes status; it is not append-only


def test_the_app_role_cannot_change_empty_alter_or_unguard_an_append_only_table(app_role):
    tables = sorted(dbroles.append_only_tables())
    columns = {table: _first_column(table) for table in tables}
    with acting_as(app_role):
        for table in tables:
            column = columns[table]
            _refused(f'UPDATE {table} SET "{column}" = "{column}"')  # noqa: S608 - our own tables
            _refused(f"DELETE FROM {table}")  # noqa: S608
            _refused(f"TRUNCATE {table}")
            _refused(f"ALTER TABLE {table} ADD COLUMN forged integer")
            _refused(f"ALTER TABLE {table} DISABLE TRIGGER USER")
            _refused(f"ALTER TABLE {table} DISABLE TRIGGER ALL")
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 - reading works
                assert cursor.fetchone()[0] >= 0
    # and the audit trail and the ledger may not be updated on any column at all
    with connection.cursor() as cursor:
        for table in ("repm_portal_auditevent", "incentives_ledgerentry"):
            cursor.execute("SELECT has_any_column_privilege(%s, %s, 'UPDATE')", [app_role, table])
            assert cursor.fetchone()[0] is False


def test_the_app_role_inserts_and_reads_the_audit_trail_and_the_ledger(app_role, rules):
    award = AwardFactory(allocated_mtpa=1200)
    with acting_as(app_role):
        with transaction.atomic():
            event = audit.record(actor=None, action="test.as_app", object_type="t", object_id=1)
        with transaction.atomic():
            entry = ledger.post(
                kind=EntryKind.SANCTION, pool=Pool.CAPITAL_SUBSIDY, award=award, amount=100,
                source_key="role:1", rule_set=award.rule_set, document_ref="t", narration="t",
                now=dt.datetime(2028, 9, 1, tzinfo=dt.UTC),
            )  # fmt: skip
        assert AuditEvent.objects.filter(pk=event.pk).exists()
        assert entry is not None and LedgerEntry.objects.get(pk=entry.pk).amount == 100
        assert audit.verify_chain().intact
        # and it cannot take the rows away again
        _refused(f"DELETE FROM incentives_ledgerentry WHERE id = {int(entry.pk)}")  # noqa: S608


def test_other_tables_get_ordinary_dml_but_never_truncate(app_role):
    checks = {
        ("bidding_bid", "SELECT,INSERT,UPDATE,DELETE"): True,
        ("bidding_bid", "TRUNCATE"): False,
        ("bidding_bid", "TRIGGER"): False,
        # letters are updated while drafts, never deleted
        ("incentives_sanctionletter", "SELECT,INSERT,UPDATE"): True,
        ("incentives_sanctionletter", "DELETE"): False,
        ("repm_portal_ruleset", "SELECT,INSERT"): True,
    }
    with connection.cursor() as cursor:
        for (table, privilege), allowed in checks.items():
            cursor.execute("SELECT has_table_privilege(%s, %s, %s)", [app_role, table, privilege])
            assert cursor.fetchone()[0] is allowed, (table, privilege)
        cursor.execute(
            "SELECT bool_and(has_sequence_privilege(%s, c.oid, 'USAGE')) FROM pg_class c "
            "WHERE c.relkind = 'S' AND c.relnamespace = 'public'::regnamespace",
            [app_role],
        )
        assert cursor.fetchone()[0] is True


def test_only_a_role_that_owns_nothing_may_serve(app_role):
    with connection.cursor() as cursor:
        assert dbroles.privileged_reason(cursor) == "it is a superuser"
        dbroles.ensure_role(cursor, OWNER)
        cursor.execute(
            f'CREATE TABLE owned_by_test_owner (id int); ALTER TABLE owned_by_test_owner OWNER TO "{OWNER}"'
        )
    with acting_as(OWNER), connection.cursor() as cursor:
        assert dbroles.privileged_reason(cursor).startswith("it owns tables (owned_by_test_owner")
    with acting_as(app_role), connection.cursor() as cursor:
        assert dbroles.privileged_reason(cursor) == ""


def test_production_refuses_a_connection_as_a_superuser():
    # given a fresh connection as the tests' own role, a superuser
    side = connections.create_connection(DEFAULT_DB_ALIAS)
    try:
        side.ensure_connection()
        # when the production check runs on it, then it is refused and closed
        with pytest.raises(ImproperlyConfigured, match=r"refuses to connect.*superuser"):
            refuse_privileged_role(side)
        assert side.connection is None
    finally:
        side.close()


def test_production_settings_check_each_connection():
    db = settings.DATABASES["default"]
    host = quote(db["HOST"], safe="")  # a Unix socket's folder, percent-encoded
    url = f"postgresql://{db['USER']}:{db['PASSWORD']}@{host}:{db['PORT']}/{db['NAME']}"
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"} | {
        "DJANGO_SETTINGS_MODULE": "repm_portal.settings.production",
        "SECRET_KEY": "x" * 60,
        "ALLOWED_HOSTS": "repm.example.gov.in",
        "DATABASE_URL": url,
        "REDIS_URL": "redis://127.0.0.1:1/0",
        "BID_SEALING_MASTER_KEY": "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWY=",
        "AUDIT_CHECKPOINT_KEY_FILE": "/nonexistent/key.pem",
        "AUDIT_CHECKPOINT_DIR": "/nonexistent/checkpoints",
    }
    code = "import django; django.setup(); from django.db import connection; connection.ensure_connection()"
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=settings.BASE_DIR,
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode != 0
    assert "refuses to connect" in result.stderr and "superuser" in result.stderr
