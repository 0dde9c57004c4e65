"""Threshold opening keys: members' locked personal keys, tenders' public keys and their shares."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from bidding.models.tenders import Tender


class MemberOpeningKey(models.Model):
    """A committee member's personal X25519 key; the private half only under their passphrase."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="opening_key"
    )
    public_key = models.BinaryField()
    salt = models.BinaryField()
    scrypt_n = models.PositiveIntegerField()
    locked_private = models.BinaryField(help_text="AES-GCM under Scrypt(passphrase); never plain")
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"Opening key of {self.user}"


class TenderOpeningKey(models.Model):
    """A tender's public key (generation n); its private key is kept nowhere, only shared out."""

    tender = models.ForeignKey(Tender, on_delete=models.PROTECT, related_name="opening_keys")
    generation = models.PositiveSmallIntegerField()
    public_key = models.BinaryField()
    threshold = models.PositiveSmallIntegerField(help_text="Shares needed to rebuild the key")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["tender", "-generation"]
        constraints = [
            models.UniqueConstraint(
                fields=["tender", "generation"], name="tender_opening_key_generation_once"
            )
        ]

    def __str__(self) -> str:
        return f"Opening key {self.generation} of {self.tender.reference}"


class KeyShare(models.Model):
    """One member's share of a tender's key, sealed to that member's personal public key."""

    opening_key = models.ForeignKey(
        TenderOpeningKey, on_delete=models.CASCADE, related_name="shares"
    )
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    member_key_id = models.CharField(max_length=16, help_text="Fingerprint of the member's key")
    sealed_share = models.BinaryField()

    class Meta:
        ordering = ["opening_key", "id"]
        constraints = [
            models.UniqueConstraint(fields=["opening_key", "member"], name="key_share_once")
        ]

    def __str__(self) -> str:
        return f"Share of {self.member} in {self.opening_key}"


class PendingShare(models.Model):
    """A confirming member's share re-sealed to the opening's ephemeral key, until the opening.

    The ephemeral private key lives only in the cache (Redis) with a short lifetime, never in the
    database; the rows are deleted when the covers open.
    """

    tender = models.ForeignKey(Tender, on_delete=models.CASCADE, related_name="pending_shares")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    session_id = models.CharField(max_length=32)
    sealed_share = models.BinaryField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["tender", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["tender", "member"], name="pending_share_once")
        ]

    def __str__(self) -> str:
        return f"Pending share of {self.member} for {self.tender.reference}"
