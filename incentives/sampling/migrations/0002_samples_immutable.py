"""A sample is immutable once drawn, and findings are kept for good: the database refuses changes."""

from django.db import migrations

TABLES = (
    "sampling_sample",
    "sampling_samplestratum",
    "sampling_sampledclaim",
    "sampling_finding",
    "sampling_findingrecovery",
)

# repm_refuse_update_delete() is the scheme core's append-only trigger function.
GUARDS = "\n".join(
    f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
    "FOR EACH ROW EXECUTE FUNCTION repm_refuse_update_delete();"
    for table in TABLES
)
UNDO_GUARDS = "\n".join(
    f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};" for table in TABLES
)


class Migration(migrations.Migration):
    dependencies = [
        ("sampling", "0001_initial"),
        ("repm_portal", "0002_append_only_triggers"),
    ]

    operations = [migrations.RunSQL(GUARDS, UNDO_GUARDS)]
