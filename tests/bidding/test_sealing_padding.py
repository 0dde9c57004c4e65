"""A sealed financial cover's length says nothing about the rate: the plaintext is padded."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import override_settings

from bidding import sealing

MASTER = "q" * 43 + "="  # 32 bytes, urlsafe base64


def _args(wrapped: bytes) -> dict:
    return {"wrapped_key": wrapped, "tender_reference": "T-1", "key_id": sealing.master_key_id()}


def _cover(rate: str, bid_id: int = 7) -> sealing.FinancialCover:
    return sealing.FinancialCover(
        tender_id=3, bid_id=bid_id, version=1, quoted_rate=Decimal(rate), nonce=sealing.new_nonce()
    )


@override_settings(BID_SEALING_MASTER_KEY=MASTER)
def test_covers_of_short_and_long_rates_have_one_length_and_both_open():
    wrapped = sealing.new_wrapped_key("T-1")
    small, large = _cover("1.00"), _cover("12345.67", bid_id=123456)
    blobs = [sealing.seal(c, **_args(wrapped)) for c in (small, large)]
    assert len(blobs[0]) == len(blobs[1])
    for cover, blob in zip((small, large), blobs, strict=True):
        opened = sealing.unseal(blob, tender_id=3, bid_id=cover.bid_id, version=1, **_args(wrapped))
        assert opened.quoted_rate == cover.quoted_rate
        assert opened.nonce == cover.nonce


@override_settings(BID_SEALING_MASTER_KEY=MASTER)
def test_a_cover_sealed_before_padding_still_opens():
    wrapped = sealing.new_wrapped_key("T-1")
    cover = _cover("1987.43")
    key = sealing._unwrap(wrapped, "T-1", sealing.master_key_id())
    aad = sealing._cover_aad(3, 7, 1)
    old_blob = sealing._encrypt(key, sealing.canonical_json(cover.canonical()), aad)
    opened = sealing.unseal(old_blob, tender_id=3, bid_id=7, version=1, **_args(wrapped))
    assert opened.quoted_rate == Decimal("1987.43")


@override_settings(BID_SEALING_MASTER_KEY=MASTER)
def test_a_padded_cover_with_a_bad_length_is_refused():
    wrapped = sealing.new_wrapped_key("T-1")
    key = sealing._unwrap(wrapped, "T-1", sealing.master_key_id())
    bogus = b"\x01" + (999).to_bytes(2, "big") + b"{}" + b"\x00" * 253
    blob = sealing._encrypt(key, bogus, sealing._cover_aad(3, 7, 1))
    with pytest.raises(sealing.SealError, match="padded"):
        sealing.unseal(blob, tender_id=3, bid_id=7, version=1, **_args(wrapped))
