"""Each sanction letter's public check is reached by an unguessable token, not by its number.

Issued letters are immutable (a trigger refuses any update), so the trigger is paused while
the letters that exist are given their tokens, in this migration's own transaction.
"""

import secrets

from django.db import migrations, models

import incentives.models


def give_tokens(apps, schema_editor):
    letter_model = apps.get_model("incentives", "SanctionLetter")
    for letter in letter_model.objects.filter(verify_token__isnull=True).only("pk"):
        letter_model.objects.filter(pk=letter.pk).update(verify_token=secrets.token_urlsafe(24))


class Migration(migrations.Migration):
    dependencies = [("incentives", "0004_deductions_netted")]

    operations = [
        migrations.AddField(
            model_name="sanctionletter",
            name="verify_token",
            field=models.CharField(max_length=64, null=True, editable=False),
        ),
        migrations.RunSQL(
            "ALTER TABLE incentives_sanctionletter DISABLE TRIGGER incentives_sanctionletter_guard",
            migrations.RunSQL.noop,
        ),
        migrations.RunPython(give_tokens, migrations.RunPython.noop),
        migrations.RunSQL(
            "ALTER TABLE incentives_sanctionletter ENABLE TRIGGER incentives_sanctionletter_guard",
            migrations.RunSQL.noop,
        ),
        migrations.AlterField(
            model_name="sanctionletter",
            name="verify_token",
            field=models.CharField(
                default=incentives.models.new_verify_token,
                editable=False,
                help_text="The unguessable key of the public check (printed in the QR); not the number",
                max_length=64,
                unique=True,
            ),
        ),
    ]
