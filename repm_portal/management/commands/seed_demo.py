"""Seed the demo scheme: every app's demo.seed() in app order, then print one login per role."""

from importlib import import_module
from importlib.util import find_spec

from django.apps import apps
from django.core.management.base import BaseCommand

DEMO_PASSWORD = "repm-demo-2026"  # noqa: S105 - printed for the demo on purpose


class Command(BaseCommand):
    help = "Create the demo data (idempotent: what exists is kept) and print the logins."

    def handle(self, *args, **options):
        # Apps are found, not imported by name, so the core depends on none of them.
        for config in apps.get_app_configs():
            if find_spec(f"{config.name}.demo") is None:
                continue
            module = import_module(f"{config.name}.demo")
            self.stdout.write(f"Seeding {config.verbose_name}…")
            for line in module.seed() or []:
                self.stdout.write(f"  {line}")
        user_model = apps.get_model("beneficiaries", "User")
        self.stdout.write(self.style.SUCCESS("Demo ready at http://127.0.0.1:8000/ — logins:"))
        self.stdout.write(f"  {'username':<12} {'role':<38} firm")
        for user in user_model.objects.select_related("firm").order_by("role", "username"):
            firm = user.firm.legal_name if user.firm else ""
            self.stdout.write(f"  {user.username:<12} {user.get_role_display():<38} {firm}")
        self.stdout.write(f"  password for every demo user: {DEMO_PASSWORD}")
