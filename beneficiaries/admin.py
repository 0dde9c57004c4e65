"""Read-only admin screens for firms and people (changes go through the portal's pages and services)."""

from django.contrib import admin

from beneficiaries.models import BankAccount, Consortium, ConsortiumMember, Firm, User
from repm_portal.admin import ReadOnlyAdmin, ReadOnlyInline


@admin.register(Firm)
class FirmAdmin(ReadOnlyAdmin):
    list_display = ["legal_name", "country", "cin", "pan", "gstin", "created_at"]
    search_fields = ["legal_name", "cin", "pan", "gstin", "foreign_registration_number"]


@admin.register(User)
class UserAdmin(ReadOnlyAdmin):
    list_display = ["username", "role", "firm", "is_active", "last_login"]
    list_filter = ["role", "is_active"]
    exclude = ["password"]

    def lookup_allowed(self, lookup, value, request=None):
        # A filter on the hash (?password__startswith=...) would tell hashes apart by prefix.
        if lookup.split("__", 1)[0] == "password":
            return False
        return super().lookup_allowed(lookup, value, request)


@admin.register(BankAccount)
class BankAccountAdmin(ReadOnlyAdmin):
    list_display = ["firm", "bank_name", "ifsc", "account_number", "status", "is_primary"]


class ConsortiumMemberInline(ReadOnlyInline):
    model = ConsortiumMember


@admin.register(Consortium)
class ConsortiumAdmin(ReadOnlyAdmin):
    list_display = ["name", "lead", "created_at"]
    inlines = [ConsortiumMemberInline]
