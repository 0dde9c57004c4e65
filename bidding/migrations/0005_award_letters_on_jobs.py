"""A Letter of Award keeps its lifecycle (pending, issued); its rendering moves to a Job.

"Rendering failed" was the rendering's state, so such a letter is pending again, and every
pending letter gets the Job row the sweeper sends.
"""

from django.db import migrations, models
from django.utils import timezone

import repm_portal.models

RENDER = "bidding.tasks.render_award_letter"


def forwards(apps, schema_editor):
    Letter = apps.get_model("bidding", "AwardLetter")
    Job = apps.get_model("repm_portal", "Job")
    Letter.objects.filter(status="failed").update(status="pending")
    for letter in Letter.objects.filter(status="pending"):
        Job.objects.get_or_create(
            task=RENDER,
            target=str(letter.pk),
            defaults={"key": f"render:award-letter:{letter.number}", "created_at": timezone.now()},
        )


class Migration(migrations.Migration):
    dependencies = [
        ("bidding", "0004_pbg_lifecycle"),
        ("repm_portal", "0004_jobs"),
    ]

    operations = [
        migrations.AlterField(
            model_name="awardletter",
            name="file",
            field=models.FileField(
                blank=True, max_length=300, upload_to=repm_portal.models.issued_document_path
            ),
        ),
        migrations.AlterField(
            model_name="awardletter",
            name="status",
            field=models.CharField(
                choices=[("pending", "Being rendered"), ("issued", "Issued")],
                default="pending",
                max_length=10,
            ),
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name="awardletter",
            name="attempts",
        ),
        migrations.RemoveField(
            model_name="awardletter",
            name="last_error",
        ),
    ]
