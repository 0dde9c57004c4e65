"""Sanction requests and letters keep their lifecycle; the work of issuing and rendering moves to Jobs.

Requests: queued -> requested, failed -> refused (the ledger's reason kept as `refusal`).
Letters: "rendering failed" was the rendering job's state, so such a letter is pending again.
Work still to do gets its Job row, so the sweeper sends it.
"""

from django.db import migrations, models
from django.utils import timezone

import repm_portal.models

ISSUE = "incentives.tasks.issue_sanction"
RENDER = "incentives.tasks.render_sanction_letter"


def forwards(apps, schema_editor):
    Request = apps.get_model("incentives", "SanctionRequest")
    Letter = apps.get_model("incentives", "SanctionLetter")
    Job = apps.get_model("repm_portal", "Job")
    now = timezone.now()
    for request in Request.objects.filter(status="failed"):
        Request.objects.filter(pk=request.pk).update(status="refused", refusal=request.last_error)
    for request in Request.objects.filter(status="queued"):
        Request.objects.filter(pk=request.pk).update(status="requested")
        Job.objects.get_or_create(
            task=ISSUE, target=str(request.pk),
            defaults={"key": f"sanction:{request.key}", "created_at": now},
        )  # fmt: skip
    Letter.objects.filter(status="failed").update(status="pending")
    for letter in Letter.objects.filter(status="pending"):
        Job.objects.get_or_create(
            task=RENDER, target=str(letter.pk),
            defaults={"key": f"render:sanction-letter:{letter.number}", "created_at": now},
        )  # fmt: skip


def backwards(apps, schema_editor):
    Request = apps.get_model("incentives", "SanctionRequest")
    Request.objects.filter(status="requested").update(status="queued")
    for request in Request.objects.filter(status="refused"):
        Request.objects.filter(pk=request.pk).update(status="failed", last_error=request.refusal)


class Migration(migrations.Migration):
    dependencies = [
        ("incentives", "0002_ledger_guards"),
        ("repm_portal", "0004_jobs"),
    ]

    operations = [
        migrations.AddField(
            model_name="sanctionrequest",
            name="refusal",
            field=models.TextField(
                blank=True, help_text="Why the ledger refused it (a pool or cap)"
            ),
        ),
        migrations.AlterField(
            model_name="sanctionletter",
            name="file",
            field=models.FileField(
                blank=True, max_length=300, upload_to=repm_portal.models.issued_document_path
            ),
        ),
        migrations.AlterField(
            model_name="sanctionletter",
            name="status",
            field=models.CharField(
                choices=[("pending", "Being rendered"), ("issued", "Issued")],
                default="pending",
                max_length=10,
            ),
        ),
        migrations.AlterField(
            model_name="sanctionrequest",
            name="status",
            field=models.CharField(
                choices=[
                    ("requested", "Waiting for its letter"),
                    ("sanctioned", "Sanctioned"),
                    ("nil", "Nothing payable"),
                    ("refused", "Refused by the ledger"),
                ],
                default="requested",
                max_length=12,
            ),
        ),
        migrations.RunPython(forwards, backwards),
        migrations.RemoveField(
            model_name="sanctionletter",
            name="attempts",
        ),
        migrations.RemoveField(
            model_name="sanctionletter",
            name="last_error",
        ),
        migrations.RemoveField(
            model_name="sanctionrequest",
            name="attempts",
        ),
        migrations.RemoveField(
            model_name="sanctionrequest",
            name="last_error",
        ),
    ]
