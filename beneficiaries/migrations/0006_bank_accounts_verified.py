"""Payout accounts need a second person's verification; the payout accounts of today stand verified."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("beneficiaries", "0005_consortium_consent"),
    ]

    operations = [
        migrations.AddField(
            model_name="bankaccount",
            name="evidence",
            field=models.FileField(blank=True, upload_to="bank-evidence/%Y/"),
        ),
        migrations.AddField(
            model_name="bankaccount",
            name="evidence_name",
            field=models.CharField(blank=True, max_length=300),
        ),
        migrations.AddField(
            model_name="bankaccount",
            name="evidence_sha256",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AddField(
            model_name="bankaccount",
            name="status",
            field=models.CharField(
                choices=[
                    ("pending", "Awaiting verification"),
                    ("verified", "Verified"),
                    ("rejected", "Rejected"),
                ],
                default="pending",
                max_length=10,
            ),
        ),
        migrations.AddField(
            model_name="bankaccount",
            name="to_be_primary",
            field=models.BooleanField(
                default=False, help_text="Becomes the payout account once verified"
            ),
        ),
        migrations.AddField(
            model_name="bankaccount",
            name="verification_note",
            field=models.TextField(
                blank=True,
                help_text="The verifier's reason: a holder name that differs, or a rejection",
            ),
        ),
        migrations.AddField(
            model_name="bankaccount",
            name="verified_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="bankaccount",
            name="verified_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="bankaccount",
            name="is_primary",
            field=models.BooleanField(default=False),
        ),
        # The accounts paid today stay payable; any other recorded account waits for a check.
        migrations.RunSQL(
            "UPDATE beneficiaries_bankaccount SET status = 'verified' WHERE is_primary",
            migrations.RunSQL.noop,
        ),
        migrations.AddConstraint(
            model_name="bankaccount",
            constraint=models.CheckConstraint(
                condition=models.Q(("is_primary", False), ("status", "verified"), _connector="OR"),
                name="bank_payout_account_verified",
            ),
        ),
        migrations.AddConstraint(
            model_name="bankaccount",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("verified_by__isnull", True),
                    ("created_by__isnull", True),
                    models.Q(("verified_by", models.F("created_by")), _negated=True),
                    _connector="OR",
                ),
                name="bank_verified_by_a_second_person",
            ),
        ),
    ]
