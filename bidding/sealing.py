"""Sealed financial covers and bid commitments: sealed to the tender's public key, SHA-256 commitments.

Since issue 13 a tender gets an X25519 key pair at publication (bidding/threshold.py) and a
financial cover is sealed to its PUBLIC key only (`seal_to_public`: X25519 + HKDF-SHA256 +
AES-256-GCM), with the tender, bid and version bound in as associated data, so a sealed cover
cannot be moved to another bid. The private key exists on the server only in memory, during the
financial opening, rebuilt from the shares of a quorum of the committee
(bidding/services/opening_keys.py says how).

Tenders sealed before (scheme "master-v1") have a random 256-bit data key stored wrapped
(AES-GCM) by BID_SEALING_MASTER_KEY; their covers still open (`unseal`) if that key is set.
New tenders never need it.

A bid's commitment binds both covers:

    technical_digest = SHA-256(canonical JSON of the technical cover)
    financial_digest = SHA-256(canonical JSON of {tender, bid, version, quoted_rate, nonce})
    commitment       = SHA-256("repm-bid-commitment/v1\\n" technical_digest "\\n" financial_digest)

The nonce is 32 random bytes sealed inside the financial cover, so the financial digest (and so
the commitment) says nothing about the rate until the opening publishes rate and nonce; then
anyone can recompute all three hashes.

The cover's plaintext is padded to a multiple of PAD_BLOCK bytes (a version byte, the JSON's
length, the JSON, zero bytes), so the sealed length does not tell a rate's digit count; covers
sealed before the padding (bare JSON) still open.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.views.decorators.debug import sensitive_variables

from bidding import threshold

COMMITMENT_DOMAIN = "repm-bid-commitment/v1"
# A cover's plaintext is padded to a multiple of this, so its length says nothing about the rate.
PAD_BLOCK = 256
_PADDED_V1 = b"\x01"  # then 2 bytes big-endian length of the JSON, the JSON, zero bytes
_GCM_NONCE_BYTES = 12
_KEY_BYTES = 32


class SealError(Exception):
    """A sealed cover or key could not be opened: wrong key, or the bytes were altered."""


def _master_key() -> bytes:
    raw = getattr(settings, "BID_SEALING_MASTER_KEY", "")
    if not raw:
        raise SealError(
            "This tender was sealed under the retired master key; "
            "set BID_SEALING_MASTER_KEY to that key to open its covers."
        )
    try:
        key = base64.urlsafe_b64decode(raw.encode("ascii"))
    except (ValueError, AttributeError) as exc:
        raise ImproperlyConfigured("BID_SEALING_MASTER_KEY is not urlsafe base64.") from exc
    if len(key) != _KEY_BYTES:
        raise ImproperlyConfigured(
            f"BID_SEALING_MASTER_KEY must decode to {_KEY_BYTES} bytes, not {len(key)}."
        )
    return key


def master_key_id() -> str:
    """A fingerprint of the master key, kept beside each wrapped key to name a mismatch clearly."""
    return hashlib.sha256(b"repm-master-key-id" + _master_key()).hexdigest()[:16]


def _encrypt(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    nonce = secrets.token_bytes(_GCM_NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def _decrypt(key: bytes, blob: bytes, aad: bytes) -> bytes:
    blob = bytes(blob)
    if len(blob) <= _GCM_NONCE_BYTES:
        raise SealError("The sealed bytes are too short to be a cover.")
    try:
        return AESGCM(key).decrypt(blob[:_GCM_NONCE_BYTES], blob[_GCM_NONCE_BYTES:], aad)
    except InvalidTag:
        raise SealError(
            "The sealed bytes do not open under this key: they were altered, "
            "or sealed for another bid or tender."
        ) from None


def _key_aad(tender_reference: str) -> bytes:
    return f"repm-tender-key:{tender_reference}".encode()


def _cover_aad(tender_id: int, bid_id: int, version: int) -> bytes:
    return f"repm-financial-cover:{tender_id}:{bid_id}:{version}".encode()


def new_wrapped_key(tender_reference: str) -> bytes:
    """A fresh data key for a tender, returned wrapped by the master key (the only form stored)."""
    return _encrypt(_master_key(), secrets.token_bytes(_KEY_BYTES), _key_aad(tender_reference))


def _unwrap(wrapped_key: bytes, tender_reference: str, key_id: str) -> bytes:
    if key_id != master_key_id():
        raise SealError(
            "This tender's covers were sealed under another master key "
            f"(fingerprint {key_id}); set BID_SEALING_MASTER_KEY to that key."
        )
    return _decrypt(_master_key(), wrapped_key, _key_aad(tender_reference))


def _public_context(tender_id: int) -> bytes:
    return f"repm-financial-cover/v2:{tender_id}".encode()


@sensitive_variables("cover")
def seal_to_public(cover: FinancialCover, *, public_key: bytes) -> bytes:
    """Seal a cover so only the tender's private key (never stored) opens it."""
    aad = _cover_aad(cover.tender_id, cover.bid_id, cover.version)
    return threshold.hpke_seal(
        public_key,
        _pad(canonical_json(cover.canonical())),
        context=_public_context(cover.tender_id),
        aad=aad,
    )


@sensitive_variables("data", "private_key")
def unseal_with_private(
    blob: bytes, *, private_key: Any, tender_id: int, bid_id: int, version: int
) -> FinancialCover:
    """Open a cover sealed to a tender's public key. Only the financial opening calls this."""
    try:
        plaintext = threshold.hpke_open(
            private_key,
            blob,
            context=_public_context(tender_id),
            aad=_cover_aad(tender_id, bid_id, version),
        )
    except threshold.ThresholdError:
        raise SealError(
            "The sealed bytes do not open under this key: they were altered, "
            "or sealed for another bid or tender."
        ) from None
    return _cover_from(json.loads(_unpad(plaintext)))


def _cover_from(data: dict[str, Any]) -> FinancialCover:
    return FinancialCover(
        tender_id=data["tender"],
        bid_id=data["bid"],
        version=data["version"],
        quoted_rate=Decimal(data["quoted_rate"]),
        nonce=data["nonce"],
    )


def new_nonce() -> str:
    return secrets.token_hex(32)


def rate_text(rate: Decimal) -> str:
    """The one text form of a rate inside covers and digests: two decimals, no grouping."""
    return f"{rate.quantize(Decimal('0.01')):f}"


@dataclass(frozen=True)
class FinancialCover:
    tender_id: int
    bid_id: int
    version: int
    quoted_rate: Decimal
    nonce: str

    def canonical(self) -> dict[str, Any]:
        return {
            "tender": self.tender_id,
            "bid": self.bid_id,
            "version": self.version,
            "quoted_rate": rate_text(self.quoted_rate),
            "nonce": self.nonce,
        }

    def __repr__(self) -> str:
        # Never let a traceback, log line or debug page print the rate.
        return (
            f"FinancialCover(tender={self.tender_id}, bid={self.bid_id}, v={self.version}, sealed)"
        )


def canonical_json(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def technical_digest(technical: dict[str, Any]) -> str:
    return sha256_hex(canonical_json(technical))


def financial_digest(cover: FinancialCover) -> str:
    return sha256_hex(canonical_json(cover.canonical()))


def commitment(technical_digest_hex: str, financial_digest_hex: str) -> str:
    text = f"{COMMITMENT_DOMAIN}\n{technical_digest_hex}\n{financial_digest_hex}"
    return sha256_hex(text.encode())


def _pad(data: bytes) -> bytes:
    body = _PADDED_V1 + len(data).to_bytes(2, "big") + data
    return body + b"\x00" * (-len(body) % PAD_BLOCK)


def _unpad(plaintext: bytes) -> bytes:
    """The cover's JSON; covers sealed before padding are bare JSON, which starts with '{'."""
    if plaintext.startswith(b"{"):
        return plaintext
    if not plaintext.startswith(_PADDED_V1) or len(plaintext) < 3:
        raise SealError("The opened cover is in an unknown format.")
    length = int.from_bytes(plaintext[1:3], "big")
    if 3 + length > len(plaintext) or plaintext[3 + length :].strip(b"\x00"):
        raise SealError("The opened cover is not padded as a sealed cover is.")
    return plaintext[3 : 3 + length]


@sensitive_variables("cover")
def seal(cover: FinancialCover, *, wrapped_key: bytes, tender_reference: str, key_id: str) -> bytes:
    key = _unwrap(wrapped_key, tender_reference, key_id)
    aad = _cover_aad(cover.tender_id, cover.bid_id, cover.version)
    return _encrypt(key, _pad(canonical_json(cover.canonical())), aad)


@sensitive_variables("data")
def unseal(
    blob: bytes,
    *,
    wrapped_key: bytes,
    tender_reference: str,
    key_id: str,
    tender_id: int,
    bid_id: int,
    version: int,
) -> FinancialCover:
    """Open a financial cover. Only the financial-opening service calls this."""
    key = _unwrap(wrapped_key, tender_reference, key_id)
    return _cover_from(
        json.loads(_unpad(_decrypt(key, blob, _cover_aad(tender_id, bid_id, version))))
    )
