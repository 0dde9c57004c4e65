"""Opening keys: members set up their own, tenders get a key pair split among the committee.

Design (issue 13, part 1): the server holds no way to open a sealed financial cover.

* Each committee member sets up a personal X25519 key on their own page; its private half is
  stored only under AES-GCM with a key Scrypt derives from a passphrase only the member knows.
* At publication the tender gets a fresh key pair from a 16-byte seed; covers are sealed to the
  public key (bidding/sealing.py). The seed is split k-of-n with Shamir (k = the tender's
  opening quorum, n = the committee), each share sealed to one member's personal public key,
  and then the seed and private key are forgotten: only the public key and the sealed shares
  are stored. While k members keep their passphrase, the covers can be opened; if more than
  n-k lose theirs, the covers of that tender can never be opened (by anyone).
* A committee change is allowed only before the first bid (and before the due date): then a
  fresh key pair is simply made and split among the new committee, since no cover was sealed
  to the old one; the old shares are deleted and open nothing. After the first bid a re-split
  would need k members to rebuild the key on the server, which is exactly the opening; so it is
  refused there (the tender can be cancelled and re-tendered instead).
* At the financial opening (bidding/services/openings.py) each confirming member enters their
  passphrase in their own request: their share is unlocked in memory and immediately re-sealed
  to an ephemeral opening key whose private half lives only in the cache (Redis), with a lifetime
  of BID_OPENING_SESSION_SECONDS, never in the database. The re-sealed shares wait in the
  database (PendingShare). The confirmation that brings the k-th share decrypts the k shares, rebuilds
  the key in memory, opens and checks the qualified covers, deletes the pending shares and the
  ephemeral key, and forgets the key. So a copy of database, settings and environment, taken
  at any time, holds nothing that opens a cover; a copy of database and cache taken between
  confirmations holds at most k-1 shares, which say nothing about the key; after the opening
  neither holds any share, so a bid excluded at the technical stage stays sealed. If the
  ephemeral key lapses before the quorum, the waiting shares are dropped and those members
  enter their passphrase again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables

from beneficiaries.models import User
from bidding import threshold
from bidding.models import KeyShare, MemberOpeningKey, Tender, TenderOpeningKey
from bidding.services._common import COMMITTEE_ROLES
from repm_portal import audit, clock
from repm_portal.roles import has_role

MIN_PASSPHRASE = 12
SHARE_CONTEXT = b"repm-key-share/v1"


def locked(key: MemberOpeningKey) -> threshold.LockedKey:
    return threshold.LockedKey(
        public_key=bytes(key.public_key),
        salt=bytes(key.salt),
        scrypt_n=key.scrypt_n,
        locked_private=bytes(key.locked_private),
    )


def _check_new_passphrase(passphrase: str, again: str) -> None:
    if len(passphrase) < MIN_PASSPHRASE:
        raise ValidationError(
            {
                "passphrase": _("Choose a passphrase of at least %(n)s characters.")
                % {"n": MIN_PASSPHRASE}
            }
        )
    if passphrase != again:
        raise ValidationError({"passphrase_again": _("The two passphrases differ.")})


@transaction.atomic
@sensitive_variables("passphrase", "passphrase_again", "current_passphrase", "private")
def set_up_opening_key(
    *,
    actor: User,
    passphrase: str,
    passphrase_again: str,
    current_passphrase: str = "",
    now: dt.datetime | None = None,
) -> MemberOpeningKey:
    """Set up (or change, or replace) the actor's personal opening key.

    With no key yet, a fresh key pair is made. With a key and its current passphrase, the same
    key is locked under the new passphrase (shares already held stay usable). With a key and no
    current passphrase (it was lost), a fresh key pair replaces it: shares sealed to the old key
    are lost, and the tenders stay openable while k of their n members keep theirs.
    """
    if not has_role(actor, *COMMITTEE_ROLES):
        raise PermissionDenied(
            _("Only ministry staff who may sit on an opening committee have one.")
        )
    now = clock.now(now)
    _check_new_passphrase(passphrase, passphrase_again)
    existing = MemberOpeningKey.objects.select_for_update().filter(user=actor).first()
    if existing is None:
        fresh = threshold.lock_member_key(actor.pk, passphrase)
        key = MemberOpeningKey.objects.create(user=actor, created_at=now, **_fields(fresh))
        action = "opening_key.set_up"
    elif current_passphrase:
        try:
            private = threshold.unlock_member_key(actor.pk, locked(existing), current_passphrase)
        except threshold.ThresholdError as exc:
            raise ValidationError({"current_passphrase": str(exc)}) from None
        relocked = threshold.relock_member_key(actor.pk, private, passphrase)
        del private
        for name, value in _fields(relocked).items():
            setattr(existing, name, value)
        existing.save(update_fields=list(_fields(relocked)))
        key, action = existing, "opening_key.passphrase_changed"
    else:
        old_id = threshold.fingerprint(bytes(existing.public_key))
        fresh = threshold.lock_member_key(actor.pk, passphrase)
        for name, value in _fields(fresh).items():
            setattr(existing, name, value)
        existing.created_at = now
        existing.save()
        key, action = existing, "opening_key.replaced"
        audit.record(
            actor=actor, action=action, obj=key, old={"key": old_id}, new={"key": _id(key)}
        )
        return key
    audit.record(actor=actor, action=action, obj=key, new={"key": _id(key), "at": now})
    return key


def _fields(key: threshold.LockedKey) -> dict[str, object]:
    return {
        "public_key": key.public_key,
        "salt": key.salt,
        "scrypt_n": key.scrypt_n,
        "locked_private": key.locked_private,
    }


def _id(key: MemberOpeningKey) -> str:
    return threshold.fingerprint(bytes(key.public_key))


def share_aad(tender: Tender, generation: int, member_id: int) -> bytes:
    return f"repm-key-share:{tender.pk}:{generation}:{member_id}".encode()


def members_without_key(members: Sequence[User]) -> list[User]:
    have = set(
        MemberOpeningKey.objects.filter(user__in=[m.pk for m in members]).values_list(
            "user_id", flat=True
        )
    )
    return [m for m in members if m.pk not in have]


@sensitive_variables("seed", "private")
def issue_tender_key(*, actor: User, tender: Tender, now: dt.datetime) -> TenderOpeningKey:
    """A fresh key pair for the tender, split among its committee; the private key is forgotten.

    Call inside the caller's transaction, with the tender locked.
    """
    members = [m.user for m in tender.committee_members.select_related("user").order_by("user_id")]
    missing = members_without_key(members)
    if missing:
        names = ", ".join(m.get_username() for m in missing)
        raise ValidationError(
            _(
                "Every committee member must first set up their opening key (on their "
                "own 'Opening key' page); not yet: %(names)s."
            )
            % {"names": names}
        )
    previous = tender.opening_keys.order_by("-generation").first()
    generation = previous.generation + 1 if previous else 1
    seed = threshold.new_seed()
    private = threshold.tender_private_key(seed, tender.reference)
    opening_key = TenderOpeningKey.objects.create(
        tender=tender,
        generation=generation,
        public_key=threshold.public_bytes(private),
        threshold=tender.opening_quorum,
        created_at=now,
    )
    keys = {k.user_id: k for k in MemberOpeningKey.objects.filter(user__in=members)}
    shares = threshold.split_seed(seed, tender.opening_quorum, len(members))
    del seed, private
    KeyShare.objects.bulk_create(
        KeyShare(
            opening_key=opening_key,
            member=member,
            member_key_id=_id(keys[member.pk]),
            sealed_share=threshold.hpke_seal(
                bytes(keys[member.pk].public_key),
                threshold.share_bytes(index, share),
                context=SHARE_CONTEXT,
                aad=share_aad(tender, generation, member.pk),
            ),
        )
        for member, (index, share) in zip(members, shares, strict=True)
    )
    if previous is not None:
        KeyShare.objects.filter(opening_key__tender=tender).exclude(
            opening_key=opening_key
        ).delete()
    audit.record(
        actor=actor,
        action="tender.opening_key_issued",
        obj=tender,
        new={
            "generation": generation,
            "key": threshold.fingerprint(bytes(opening_key.public_key)),
            "threshold": tender.opening_quorum,
            "members": [m.get_username() for m in members],
        },
    )
    return opening_key


def current_key(tender: Tender) -> TenderOpeningKey | None:
    return tender.opening_keys.order_by("-generation").first()
