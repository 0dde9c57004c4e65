"""Consortia need every partner's consent; those formed before consent existed stay formed."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("beneficiaries", "0004_consortium_lead_and_size_checked"),
    ]

    operations = [
        migrations.AddField(
            model_name="consortium",
            name="status",
            field=models.CharField(
                choices=[
                    ("proposed", "Awaiting the partners' consent"),
                    ("formed", "Formed"),
                    ("declined", "Declined by a partner"),
                    ("withdrawn", "Withdrawn by the lead"),
                ],
                default="formed",
                max_length=10,
            ),
        ),
        migrations.AddField(
            model_name="consortiummember",
            name="invited_identifier",
            field=models.CharField(
                blank=True, help_text="The CIN, PAN or foreign number the lead gave", max_length=60
            ),
        ),
        migrations.AddField(
            model_name="consortiummember",
            name="responded_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="consortiummember",
            name="responded_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="consortiummember",
            name="status",
            field=models.CharField(
                choices=[
                    ("pending", "Awaiting consent"),
                    ("accepted", "Accepted"),
                    ("declined", "Declined"),
                ],
                default="accepted",
                max_length=10,
            ),
        ),
        migrations.AlterField(
            model_name="consortiummember",
            name="firm",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="consortium_memberships",
                to="beneficiaries.firm",
            ),
        ),
        migrations.AddConstraint(
            model_name="consortiummember",
            constraint=models.UniqueConstraint(
                condition=models.Q(("invited_identifier", ""), _negated=True),
                fields=("consortium", "invited_identifier"),
                name="member_invited_once",
            ),
        ),
        migrations.AddConstraint(
            model_name="consortiummember",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("status", "accepted"), _negated=True),
                    ("firm__isnull", False),
                    _connector="OR",
                ),
                name="member_accepted_is_a_firm",
            ),
        ),
        migrations.AddConstraint(
            model_name="consortiummember",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("firm__isnull", False),
                    models.Q(("invited_identifier", ""), _negated=True),
                    _connector="OR",
                ),
                name="member_firm_or_identifier",
            ),
        ),
        # Rows that existed are formed and accepted; from now on a consortium starts proposed.
        migrations.AlterField(
            model_name="consortium",
            name="status",
            field=models.CharField(
                choices=[
                    ("proposed", "Awaiting the partners' consent"),
                    ("formed", "Formed"),
                    ("declined", "Declined by a partner"),
                    ("withdrawn", "Withdrawn by the lead"),
                ],
                default="proposed",
                max_length=10,
            ),
        ),
        migrations.AlterField(
            model_name="consortiummember",
            name="status",
            field=models.CharField(
                choices=[
                    ("pending", "Awaiting consent"),
                    ("accepted", "Accepted"),
                    ("declined", "Declined"),
                ],
                default="pending",
                max_length=10,
            ),
        ),
    ]
