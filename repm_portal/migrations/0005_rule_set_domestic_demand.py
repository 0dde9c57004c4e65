"""Domestic demand for magnets as context data on every rule set; existing versions get the default.

Rule sets are append-only (a trigger refuses UPDATE), so the existing versions are filled the one
way that is no UPDATE: ADD COLUMN with the default, which PostgreSQL writes into every row.
"""

from django.db import migrations, models

import repm_portal.models


class Migration(migrations.Migration):
    dependencies = [("repm_portal", "0004_jobs")]

    operations = [
        migrations.AddField(
            model_name="ruleset",
            name="domestic_demand_tonnes",
            field=models.JSONField(
                default=repm_portal.models.default_domestic_demand,
                help_text="4,010 t now rising to 8,220 t by 2030 (SCHEME.md); the years between are "
                "our linear interpolation, held flat after FY 2029-30 [default].",
                validators=[repm_portal.models.validate_domestic_demand],
                verbose_name="domestic demand (tonnes of magnets a year, by financial year)",
            ),
        ),
    ]
