"""Audit rows and rule-set versions can be inserted, never updated or deleted, whoever asks."""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION repm_refuse_update_delete() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'Record a new row (an amendment, a reversal) instead of changing an old one.';
END
$$;
"""

TABLES = ["repm_portal_auditevent", "repm_portal_ruleset", "repm_portal_capacityslab"]


def trigger_sql(table: str) -> str:
    return (
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION repm_refuse_update_delete();"
    )


class Migration(migrations.Migration):
    dependencies = [("repm_portal", "0001_initial")]

    operations = [
        migrations.RunSQL(FUNCTION, "DROP FUNCTION IF EXISTS repm_refuse_update_delete() CASCADE;"),
        *[
            migrations.RunSQL(trigger_sql(t), f"DROP TRIGGER IF EXISTS {t}_append_only ON {t};")
            for t in TABLES
        ],
    ]
