"""Least privilege in the database: the application's role owns nothing and cannot rewrite history.

Migrations run as the owner of the tables (settings.MIGRATION_DATABASE); the application connects
as another role (settings.DATABASE_APP_ROLE) that is granted, after every migrate:

- on the append-only tables (those whose trigger refuses every UPDATE and DELETE: the audit trail,
  the ledger, rule sets, issued documents, ...): SELECT and INSERT only. Where the code locks a
  row of one (SELECT ... FOR UPDATE needs UPDATE on some column) the `id` column alone may be
  "updated", which the trigger still refuses; the audit trail and the ledger are never locked
  and get no UPDATE at all;
- on the tables whose trigger refuses every DELETE (letters, letter series, payment instructions
  and runs): SELECT, INSERT and UPDATE;
- on every other table: SELECT, INSERT, UPDATE and DELETE;
- USAGE and SELECT on every sequence.

It is never granted TRUNCATE, REFERENCES or TRIGGER, and since it owns no table it can neither
ALTER one nor disable its triggers. `privileged_reason()` is the check production runs on each
new connection: a superuser or an owner of any table is refused.
"""

from __future__ import annotations

import re
from typing import Any

from django.db import connections

# Trigger functions (in the migrations) that refuse every UPDATE and DELETE of a row.
APPEND_ONLY_FUNCTIONS = ("repm_refuse_update_delete",)
# Trigger functions that refuse every DELETE (and guard what an UPDATE may change).
NEVER_DELETED_FUNCTIONS = (
    "repm_sanction_letter_guard",
    "repm_letter_series_guard",
    "repm_payment_instruction_guard",
    "repm_payment_refuse_delete",
)
# Append-only tables the code never locks: not even the `id` column may be updated.
NEVER_LOCKED = ("repm_portal_auditevent", "incentives_ledgerentry")
_ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def _ident(name: str) -> str:
    if not _ROLE_NAME.match(name):
        raise ValueError(f"{name!r} is not a plain lower-case role name")
    return f'"{name}"'


def _tables_with_trigger(cursor: Any, functions: tuple[str, ...]) -> set[str]:
    cursor.execute(
        """
        SELECT DISTINCT c.relname FROM pg_trigger t
        JOIN pg_class c ON c.oid = t.tgrelid
        JOIN pg_proc p ON p.oid = t.tgfoid
        WHERE NOT t.tgisinternal AND c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())
          AND p.proname = ANY(%s)
        """,
        [list(functions)],
    )
    return {row[0] for row in cursor.fetchall()}


def append_only_tables(using: str = "default") -> set[str]:
    with connections[using].cursor() as cursor:
        return _tables_with_trigger(cursor, APPEND_ONLY_FUNCTIONS)


def grant_sql(cursor: Any, role: str) -> list[str]:
    """The statements that set the role's privileges on every table and sequence of the schema."""
    who = _ident(role)
    cursor.execute(
        """
        SELECT c.relname, c.relkind,
               EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid
                       AND a.attname = 'id' AND NOT a.attisdropped)
        FROM pg_class c
        WHERE c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema()) AND c.relkind IN ('r', 'p', 'v', 'm')
        ORDER BY c.relname
        """
    )
    relations = cursor.fetchall()
    append_only = _tables_with_trigger(cursor, APPEND_ONLY_FUNCTIONS)
    never_deleted = _tables_with_trigger(cursor, NEVER_DELETED_FUNCTIONS)
    cursor.execute("SELECT quote_ident(current_schema())")
    schema = cursor.fetchone()[0]
    statements = [f"GRANT USAGE ON SCHEMA {schema} TO {who}"]
    for name, kind, has_id in relations:
        table = f'{schema}."{name}"'
        statements.append(f"REVOKE ALL ON TABLE {table} FROM {who}")
        if kind in ("v", "m"):
            statements.append(f"GRANT SELECT ON TABLE {table} TO {who}")
        elif name in append_only:
            statements.append(f"GRANT SELECT, INSERT ON TABLE {table} TO {who}")
            if has_id and name not in NEVER_LOCKED:
                statements.append(f"GRANT UPDATE (id) ON TABLE {table} TO {who}")
        elif name in never_deleted:
            statements.append(f"GRANT SELECT, INSERT, UPDATE ON TABLE {table} TO {who}")
        else:
            statements.append(f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE {table} TO {who}")
    statements.append(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {who}")
    return statements


def grant(role: str, *, using: str = "default") -> int:
    """(Re)apply the application role's privileges, in one statement; returns the relations seen."""
    with connections[using].cursor() as cursor:
        statements = grant_sql(cursor, role)
        cursor.execute(";\n".join(statements))
    return sum(1 for s in statements if s.startswith("REVOKE"))


def ensure_role(cursor: Any, role: str, password: str | None = None) -> None:
    """Create the login role if it is missing (idempotent, safe against a concurrent creator)."""
    who = _ident(role)
    with_password = " PASSWORD %s" if password else ""
    cursor.execute(
        f"""
        DO $$ BEGIN
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = {_literal(role)}) THEN
                CREATE ROLE {who} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE
                    NOREPLICATION NOBYPASSRLS{with_password};
            END IF;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
        END $$
        """,
        [password] if password else None,
    )


def _literal(name: str) -> str:
    _ident(name)  # a plain name needs no escaping
    return f"'{name}'"


def privileged_reason(cursor: Any) -> str:
    """Why the connected role must not serve the application ('' when it may)."""
    cursor.execute(
        """
        SELECT r.rolsuper,
               (SELECT string_agg(c.relname, ', ' ORDER BY c.relname) FROM (
                   SELECT relname FROM pg_class
                   WHERE relowner = r.oid AND relkind IN ('r', 'p')
                     AND relnamespace NOT IN ('pg_catalog'::regnamespace,
                                              'information_schema'::regnamespace)
                   ORDER BY relname LIMIT 3) c)
        FROM pg_roles r WHERE r.rolname = current_user
        """
    )
    row = cursor.fetchone()
    if row is None:
        return ""
    superuser, owned = row
    if superuser:
        return "it is a superuser"
    if owned:
        return f"it owns tables ({owned}, ...)"
    return ""


__all__ = [
    "APPEND_ONLY_FUNCTIONS",
    "NEVER_DELETED_FUNCTIONS",
    "append_only_tables",
    "ensure_role",
    "grant",
    "grant_sql",
    "privileged_reason",
]
