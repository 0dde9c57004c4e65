"""Seed the demo scheme: people for every role, firms and what later phases add; prints the logins."""

from django.core.management.base import BaseCommand

from beneficiaries import demo


class Command(BaseCommand):
    help = "Create the demo data (idempotent) and print one login per role."

    def handle(self, *args, **options):
        logins = demo.seed()
        self.stdout.write(self.style.SUCCESS("Demo ready. Log in at http://127.0.0.1:8000/ with:"))
        self.stdout.write(f"  {'username':<12} {'role':<38} firm")
        for username, role, firm in logins:
            self.stdout.write(f"  {username:<12} {role:<38} {firm}")
        self.stdout.write(f"  password for every demo user: {demo.DEMO_PASSWORD}")
