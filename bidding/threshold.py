"""Threshold opening keys: public-key sealing, members' passphrase-locked keys, k-of-n shares.

The primitives under "sealed covers only the committee's quorum can open" (issue 13):

* `hpke_seal` / `hpke_open`: HPKE-style public-key encryption. A fresh X25519 key agrees a secret
  with the recipient's public key; HKDF-SHA256 (bound to both public keys and a context label)
  turns it into an AES-256-GCM key. Blob = ephemeral public key (32) | GCM nonce (12) | ciphertext.
  Associated data binds the blob to what it belongs to (tender, bid, version; or tender, member).
* A tender's key pair is derived from a 16-byte random seed with HKDF (`tender_private_key`), so
  the seed is what is shared: PyCryptodome's Shamir shares 16-byte secrets over GF(2^128).
  `split_seed` gives n shares of which any k rebuild the seed; k-1 say nothing about it.
* A member's personal X25519 private key is stored only under AES-GCM with a key derived by
  Scrypt from a passphrase only the member knows (`lock_member_key` / `unlock_member_key`).
  The Scrypt cost is kept beside each locked key, so raising `BID_OPENING_KEY_SCRYPT_N` later
  does not strand existing keys; tests use a cheap cost.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from Crypto.Protocol.SecretSharing import Shamir
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from django.conf import settings
from django.views.decorators.debug import sensitive_variables

HPKE_LABEL = b"repm-hpke/v1"
SEED_BYTES = 16
_NONCE = 12
_RAW = serialization.Encoding.Raw


class ThresholdError(Exception):
    """Something could not be opened: wrong key or passphrase, or the bytes were altered."""


def public_bytes(private: X25519PrivateKey) -> bytes:
    return private.public_key().public_bytes(_RAW, serialization.PublicFormat.Raw)


def private_bytes(private: X25519PrivateKey) -> bytes:
    return private.private_bytes(
        _RAW, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )


def fingerprint(public_key: bytes) -> str:
    return hashlib.sha256(b"repm-opening-key-id" + bytes(public_key)).hexdigest()[:16]


def _hkdf(secret: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(secret)


def hpke_seal(public_key: bytes, plaintext: bytes, *, context: bytes, aad: bytes) -> bytes:
    """Encrypt to the holder of `public_key`'s private key; only it opens the blob."""
    recipient = X25519PublicKey.from_public_bytes(bytes(public_key))
    ephemeral = X25519PrivateKey.generate()
    enc = public_bytes(ephemeral)
    key = _hkdf(ephemeral.exchange(recipient), HPKE_LABEL + context + enc + bytes(public_key))
    nonce = secrets.token_bytes(_NONCE)
    return enc + nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


@sensitive_variables("private", "key")
def hpke_open(private: X25519PrivateKey, blob: bytes, *, context: bytes, aad: bytes) -> bytes:
    blob = bytes(blob)
    if len(blob) <= 32 + _NONCE:
        raise ThresholdError("The sealed bytes are too short.")
    enc, nonce, body = blob[:32], blob[32 : 32 + _NONCE], blob[32 + _NONCE :]
    shared = private.exchange(X25519PublicKey.from_public_bytes(enc))
    key = _hkdf(shared, HPKE_LABEL + context + enc + public_bytes(private))
    try:
        return AESGCM(key).decrypt(nonce, body, aad)
    except InvalidTag:
        raise ThresholdError(
            "The sealed bytes do not open under this key: they were altered, "
            "or sealed for something else."
        ) from None


# The tender's key pair and its shares


def new_seed() -> bytes:
    return secrets.token_bytes(SEED_BYTES)


@sensitive_variables("seed")
def tender_private_key(seed: bytes, tender_reference: str) -> X25519PrivateKey:
    raw = _hkdf(bytes(seed), b"repm-tender-opening-key/v1:" + tender_reference.encode())
    return X25519PrivateKey.from_private_bytes(raw)


@sensitive_variables("seed")
def split_seed(seed: bytes, k: int, n: int) -> list[tuple[int, bytes]]:
    """n shares (index, 16 bytes) of which any k rebuild the seed."""
    return [(int(i), bytes(s)) for i, s in Shamir.split(k, n, bytes(seed), ssss=False)]


def combine_shares(shares: list[tuple[int, bytes]]) -> bytes:
    if len({i for i, _ in shares}) != len(shares):
        raise ThresholdError("Two shares carry the same index.")
    return bytes(Shamir.combine([(i, bytes(s)) for i, s in shares], ssss=False))


def share_bytes(index: int, share: bytes) -> bytes:
    return index.to_bytes(2, "big") + bytes(share)


def parse_share(raw: bytes) -> tuple[int, bytes]:
    raw = bytes(raw)
    if len(raw) != 2 + SEED_BYTES:
        raise ThresholdError("A key share has the wrong length.")
    return int.from_bytes(raw[:2], "big"), raw[2:]


# Members' passphrase-locked personal keys


@dataclass(frozen=True)
class LockedKey:
    public_key: bytes
    salt: bytes
    scrypt_n: int
    locked_private: bytes

    def __repr__(self) -> str:
        return f"LockedKey({fingerprint(self.public_key)})"


def scrypt_cost() -> int:
    return int(getattr(settings, "BID_OPENING_KEY_SCRYPT_N", 2**15))


@sensitive_variables("passphrase")
def _kek(passphrase: str, salt: bytes, n: int) -> bytes:
    return Scrypt(salt=bytes(salt), length=32, n=n, r=8, p=1).derive(passphrase.encode())


def _member_aad(user_id: int, public_key: bytes) -> bytes:
    return f"repm-member-opening-key:{user_id}:{bytes(public_key).hex()}".encode()


@sensitive_variables("passphrase")
def lock_member_key(user_id: int, passphrase: str) -> LockedKey:
    """A fresh personal key pair, its private half locked under the passphrase."""
    return relock_member_key(user_id, X25519PrivateKey.generate(), passphrase)


@sensitive_variables("passphrase", "private")
def relock_member_key(user_id: int, private: X25519PrivateKey, passphrase: str) -> LockedKey:
    """The same personal key locked under a (new) passphrase."""
    public = public_bytes(private)
    salt, n = secrets.token_bytes(16), scrypt_cost()
    nonce = secrets.token_bytes(_NONCE)
    locked = nonce + AESGCM(_kek(passphrase, salt, n)).encrypt(
        nonce, private_bytes(private), _member_aad(user_id, public)
    )
    return LockedKey(public_key=public, salt=salt, scrypt_n=n, locked_private=locked)


@sensitive_variables("passphrase")
def unlock_member_key(user_id: int, key: LockedKey, passphrase: str) -> X25519PrivateKey:
    blob = bytes(key.locked_private)
    try:
        raw = AESGCM(_kek(passphrase, key.salt, key.scrypt_n)).decrypt(
            blob[:_NONCE], blob[_NONCE:], _member_aad(user_id, key.public_key)
        )
    except InvalidTag:
        raise ThresholdError(
            "That passphrase does not unlock your opening key. Nothing was recorded; "
            "enter the passphrase you chose when you set up your opening key."
        ) from None
    return X25519PrivateKey.from_private_bytes(raw)
