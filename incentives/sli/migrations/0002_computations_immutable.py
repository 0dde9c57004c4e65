"""An SLI computation is a record of what was computed: the database refuses to change or delete it."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("sli", "0001_initial"),
        ("repm_portal", "0002_append_only_triggers"),
    ]

    operations = [
        migrations.RunSQL(
            "CREATE TRIGGER sli_slicomputation_append_only BEFORE UPDATE OR DELETE ON "
            "sli_slicomputation FOR EACH ROW EXECUTE FUNCTION repm_refuse_update_delete();",
            "DROP TRIGGER IF EXISTS sli_slicomputation_append_only ON sli_slicomputation;",
        )
    ]
