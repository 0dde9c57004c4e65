"""Members' key shares during a financial opening: unlocked, held re-sealed, combined, forgotten.

The design, and why a copy of the database (with settings and environment, or with the cache
between confirmations) opens no cover, is in bidding/services/opening_keys.py.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables

from beneficiaries.models import User
from bidding import threshold
from bidding.models import KeyShare, MemberOpeningKey, PendingShare, Tender, TenderOpeningKey
from bidding.services.opening_keys import SHARE_CONTEXT, locked, share_aad

PENDING_CONTEXT = b"repm-pending-share/v1"


def _session_cache_key(tender: Tender, opening_key: TenderOpeningKey) -> str:
    return f"bidding:opening-session:{tender.pk}:{opening_key.generation}"


def _pending_aad(tender: Tender, session_id: str, member_id: int) -> bytes:
    return f"repm-pending-share:{tender.pk}:{session_id}:{member_id}".encode()


@sensitive_variables("passphrase", "private")
def unlock_share(
    *, actor: User, tender: Tender, opening_key: TenderOpeningKey, passphrase: str
) -> bytes:
    """The actor's share of the tender's key, opened with their passphrase (in memory only)."""
    if not passphrase:
        raise ValidationError(
            {"passphrase": _("Enter the passphrase of your opening key to confirm this opening.")}
        )
    share = KeyShare.objects.filter(opening_key=opening_key, member=actor).first()
    member_key = MemberOpeningKey.objects.filter(user=actor).first()
    if share is None or member_key is None:
        raise ValidationError(
            _("You hold no share of the key of %(reference)s; another member must confirm.")
            % {"reference": tender.reference}
        )
    if share.member_key_id != threshold.fingerprint(bytes(member_key.public_key)):
        raise ValidationError(
            _(
                "Your share of this tender's key was sealed to an opening key you have "
                "since replaced, so it cannot be unlocked; the other members of the "
                "committee must confirm."
            )
        )
    try:
        private = threshold.unlock_member_key(actor.pk, locked(member_key), passphrase)
    except threshold.ThresholdError as exc:
        raise ValidationError({"passphrase": str(exc)}) from None
    try:
        return threshold.hpke_open(
            private,
            bytes(share.sealed_share),
            context=SHARE_CONTEXT,
            aad=share_aad(tender, opening_key.generation, actor.pk),
        )
    except threshold.ThresholdError as exc:
        raise ValidationError(
            _("Your key share does not open: %(error)s") % {"error": exc}
        ) from None


def _session(tender: Tender, opening_key: TenderOpeningKey) -> dict[str, Any]:
    """The opening's ephemeral key (cache only), made on first use; lapsed shares are dropped."""
    name = _session_cache_key(tender, opening_key)
    session = cache.get(name)
    if session is None:
        private = X25519PrivateKey.generate()
        session = {"id": secrets.token_hex(16), "private": threshold.private_bytes(private)}
        cache.set(name, session, timeout=settings.BID_OPENING_SESSION_SECONDS)
    PendingShare.objects.filter(tender=tender).exclude(session_id=session["id"]).delete()
    return session


def has_live_share(tender: Tender, opening_key: TenderOpeningKey, member: User) -> bool:
    session = _session(tender, opening_key)
    return PendingShare.objects.filter(
        tender=tender, member=member, session_id=session["id"]
    ).exists()


@sensitive_variables("raw")
def hold_share(
    *, tender: Tender, opening_key: TenderOpeningKey, member: User, raw: bytes, now: dt.datetime
) -> int:
    """Keep the member's share re-sealed to the opening's ephemeral key; the count held."""
    session = _session(tender, opening_key)
    public = threshold.public_bytes(X25519PrivateKey.from_private_bytes(session["private"]))
    PendingShare.objects.create(
        tender=tender,
        member=member,
        session_id=session["id"],
        sealed_share=threshold.hpke_seal(
            public, raw, context=PENDING_CONTEXT, aad=_pending_aad(tender, session["id"], member.pk)
        ),
        created_at=now,
    )
    return PendingShare.objects.filter(tender=tender, session_id=session["id"]).count()


@sensitive_variables("session", "private", "shares", "seed")
def rebuild_key(tender: Tender, opening_key: TenderOpeningKey) -> X25519PrivateKey:
    """The tender's private key, rebuilt in memory from k held shares; then they are forgotten."""
    session = _session(tender, opening_key)
    private = X25519PrivateKey.from_private_bytes(session["private"])
    pending = list(PendingShare.objects.filter(tender=tender, session_id=session["id"]))
    shares = [
        threshold.parse_share(
            threshold.hpke_open(
                private,
                bytes(p.sealed_share),
                context=PENDING_CONTEXT,
                aad=_pending_aad(tender, session["id"], p.member_id),
            )
        )
        for p in pending
    ][: opening_key.threshold]
    forget(tender, opening_key)
    if len(shares) < opening_key.threshold:
        raise ValidationError(_("Fewer key shares are held than the quorum needs."))
    seed = threshold.combine_shares(shares)
    rebuilt = threshold.tender_private_key(seed, tender.reference)
    if threshold.public_bytes(rebuilt) != bytes(opening_key.public_key):
        raise ValidationError(
            _("The members' shares do not rebuild this tender's key; nothing was opened.")
        )
    return rebuilt


def forget(tender: Tender, opening_key: TenderOpeningKey) -> None:
    PendingShare.objects.filter(tender=tender).delete()
    name = _session_cache_key(tender, opening_key)
    cache.delete(name)
    transaction.on_commit(lambda: cache.delete(name))
