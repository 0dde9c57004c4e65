"""An upload's status becomes its lifecycle only; how far its check has got moves to its Job row.

Uploads waiting for or under their check (queued, processing) become received, each with a
queued Job, so the jobs sweeper sends them to a worker. Decided uploads keep their status and
get a finished (done or failed) Job that carries their attempts and start, as the API showed
them; a failed one can then be restarted with fresh attempts.
"""

from django.conf import settings
from django.db import migrations, models
from django.utils import timezone

TASK = "incentives.claims.tasks.process_upload"


def _max_attempts() -> int:
    per_task = settings.JOBS_TASKS.get(TASK, {})
    return int(per_task.get("max_attempts", settings.JOBS_MAX_ATTEMPTS))


def forwards(apps, schema_editor):
    ClaimUpload = apps.get_model("claims", "ClaimUpload")
    Job = apps.get_model("repm_portal", "Job")
    now = timezone.now()
    fresh = _max_attempts()
    jobs = []
    for upload in ClaimUpload.objects.order_by("pk").iterator(chunk_size=1000):
        active = upload.status in ("queued", "processing")
        if not active and upload.attempts == 0:
            continue
        state = "queued" if active else {"failed": "failed"}.get(upload.status, "done")
        jobs.append(
            Job(
                key=f"{TASK}:{upload.pk}",
                task=TASK,
                target=str(upload.pk),
                state=state,
                attempts=upload.attempts,
                max_attempts=upload.attempts + fresh if active else max(upload.attempts, 1),
                last_error=upload.message if state == "failed" else "",
                phase="" if active else "done",
                progress=0 if active else 100,
                created_at=upload.uploaded_at if not active else now,
                started_at=upload.started_at,
                heartbeat_at=None if active else upload.heartbeat_at,
                finished_at=None if active else upload.finished_at,
            )
        )
    Job.objects.bulk_create(jobs, batch_size=1000, ignore_conflicts=True)
    ClaimUpload.objects.filter(status__in=["queued", "processing"]).update(status="received")


def backwards(apps, schema_editor):
    ClaimUpload = apps.get_model("claims", "ClaimUpload")
    Job = apps.get_model("repm_portal", "Job")
    jobs = {job.target: job for job in Job.objects.filter(task=TASK)}
    for upload in ClaimUpload.objects.order_by("pk").iterator(chunk_size=1000):
        job = jobs.get(str(upload.pk))
        if upload.status == "received":
            upload.status = "processing" if job and job.state == "running" else "queued"
        if job is not None:
            upload.phase = job.phase if job.phase else "waiting"
            upload.percent = job.progress
            upload.attempts = job.attempts
            upload.started_at = job.started_at
            upload.heartbeat_at = job.heartbeat_at
        upload.save()
    Job.objects.filter(task=TASK).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0003_line_claim_check_per_statement"),
        ("repm_portal", "0004_jobs"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="claimupload", name="claim_upload_one_active_per_period"
        ),
        migrations.RemoveConstraint(model_name="claimupload", name="claim_upload_same_bytes_once"),
        migrations.RemoveConstraint(model_name="claimupload", name="claim_upload_percent"),
        migrations.AlterField(
            model_name="claimupload",
            name="status",
            field=models.CharField(
                choices=[
                    ("received", "Received"),
                    ("accepted", "Accepted"),
                    ("rejected", "Refused: errors to fix"),
                    ("failed", "Could not be processed"),
                    ("superseded", "Replaced by a later upload"),
                ],
                default="received",
                max_length=12,
            ),
        ),
        migrations.RunPython(forwards, backwards),
        migrations.RemoveField(model_name="claimupload", name="phase"),
        migrations.RemoveField(model_name="claimupload", name="percent"),
        migrations.RemoveField(model_name="claimupload", name="heartbeat_at"),
        migrations.RemoveField(model_name="claimupload", name="attempts"),
        migrations.RemoveField(model_name="claimupload", name="started_at"),
        migrations.AlterField(
            model_name="claimupload",
            name="finished_at",
            field=models.DateTimeField(
                blank=True, help_text="When it was accepted, rejected or failed", null=True
            ),
        ),
        migrations.AddConstraint(
            model_name="claimupload",
            constraint=models.UniqueConstraint(
                condition=models.Q(("status", "received")),
                fields=("award", "period_start"),
                name="claim_upload_one_active_per_period",
            ),
        ),
        migrations.AddConstraint(
            model_name="claimupload",
            constraint=models.UniqueConstraint(
                condition=models.Q(("status__in", ["received", "accepted"])),
                fields=("award", "period_start", "sha256"),
                name="claim_upload_same_bytes_once",
            ),
        ),
    ]
