"""`migrate` as the owner of the tables, then the application role's grants re-applied.

The application connects as a role that owns nothing (settings.DATABASES["default"]); the
migrations need the owner (settings.MIGRATION_DATABASE), so for the run the default connection
is switched to the owner's credentials. The post_migrate handler (repm_portal/apps.py) then
grants the application's role what it may do on every table, new ones included.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import CommandError
from django.core.management.commands import migrate
from django.db import DEFAULT_DB_ALIAS, connections

# The same database, reached as its owner.
OWNER_FIELDS = ("USER", "PASSWORD", "HOST", "PORT", "OPTIONS")


class Command(migrate.Command):
    help = migrate.Command.help + " Runs as the owner of the tables (MIGRATION_DATABASE_URL)."

    def handle(self, *args: Any, **options: Any) -> None:
        alias = options.get("database") or DEFAULT_DB_ALIAS
        owner = settings.MIGRATION_DATABASE
        if alias != DEFAULT_DB_ALIAS or not owner:
            if settings.DATABASE_REFUSE_PRIVILEGED_ROLE and alias == DEFAULT_DB_ALIAS:
                raise CommandError(
                    "Migrations run as the owner of the tables: set MIGRATION_DATABASE_URL."
                )
            super().handle(*args, **options)
            return
        connection = connections[alias]
        saved = dict(connection.settings_dict)
        connection.close()
        owner_fields: dict[str, Any] = dict(owner)
        connection.settings_dict.update(
            {k: owner_fields[k] for k in OWNER_FIELDS if k in owner_fields}
        )
        connection.settings_dict["REPM_AS_OWNER"] = True
        try:
            super().handle(*args, **options)
        finally:
            connection.close()
            connection.settings_dict.clear()
            connection.settings_dict.update(saved)
