"""PBG lifecycle: extensions kept as append-only rows, release and invocation, reminders per expiry."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("bidding", "0003_issued_documents_immutable"),
        ("repm_portal", "0002_append_only_triggers"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="PbgExtension",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("previous_valid_until", models.DateField()),
                ("valid_until", models.DateField()),
                ("amendment_reference", models.CharField(max_length=100)),
                ("extended_at", models.DateTimeField()),
            ],
            options={
                "ordering": ["guarantee", "extended_at", "id"],
            },
        ),
        migrations.RemoveConstraint(
            model_name="pbgreminder",
            name="pbg_reminder_once",
        ),
        migrations.AddField(
            model_name="pbgreminder",
            name="valid_until",
            field=models.DateField(
                blank=True,
                help_text="The expiry reminded about (empty on rows from before extensions)",
                null=True,
            ),
        ),
        migrations.AddField(
            model_name="performancebankguarantee",
            name="closed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="performancebankguarantee",
            name="closed_by",
            field=models.ForeignKey(
                blank=True,
                help_text="The official who released or invoked it",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="performancebankguarantee",
            name="closing_reason",
            field=models.TextField(blank=True),
        ),
        migrations.AddField(
            model_name="performancebankguarantee",
            name="invoked_amount",
            field=models.DecimalField(blank=True, decimal_places=2, max_digits=18, null=True),
        ),
        migrations.AlterField(
            model_name="performancebankguarantee",
            name="status",
            field=models.CharField(
                choices=[
                    ("active", "Active"),
                    ("superseded", "Superseded"),
                    ("released", "Released"),
                    ("invoked", "Invoked"),
                ],
                default="active",
                max_length=12,
            ),
        ),
        migrations.AddConstraint(
            model_name="pbgreminder",
            constraint=models.UniqueConstraint(
                fields=("guarantee", "valid_until", "days_before"),
                name="pbg_reminder_once_per_expiry",
                nulls_distinct=False,
            ),
        ),
        migrations.AddConstraint(
            model_name="performancebankguarantee",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(
                        ("status__in", ["released", "invoked"]),
                        ("closed_at__isnull", False),
                        ("closed_by__isnull", False),
                        models.Q(("closing_reason", ""), _negated=True),
                    ),
                    models.Q(
                        models.Q(("status__in", ["released", "invoked"]), _negated=True),
                        ("closed_at__isnull", True),
                        ("closed_by__isnull", True),
                    ),
                    _connector="OR",
                ),
                name="pbg_closing_complete",
            ),
        ),
        migrations.AddConstraint(
            model_name="performancebankguarantee",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(
                        ("invoked_amount__gt", 0),
                        ("invoked_amount__lte", models.F("amount")),
                        ("status", "invoked"),
                    ),
                    models.Q(
                        models.Q(("status", "invoked"), _negated=True),
                        ("invoked_amount__isnull", True),
                    ),
                    _connector="OR",
                ),
                name="pbg_invoked_amount",
            ),
        ),
        migrations.AddField(
            model_name="pbgextension",
            name="extended_by",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="pbgextension",
            name="guarantee",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="extensions",
                to="bidding.performancebankguarantee",
            ),
        ),
        migrations.AddConstraint(
            model_name="pbgextension",
            constraint=models.CheckConstraint(
                condition=models.Q(("valid_until__gt", models.F("previous_valid_until"))),
                name="pbg_extension_moves_on",
            ),
        ),
        migrations.RunSQL(
            "CREATE TRIGGER bidding_pbgextension_append_only BEFORE UPDATE OR DELETE ON bidding_pbgextension "
            "FOR EACH ROW EXECUTE FUNCTION repm_refuse_update_delete();",
            "DROP TRIGGER IF EXISTS bidding_pbgextension_append_only ON bidding_pbgextension;",
        ),
    ]
