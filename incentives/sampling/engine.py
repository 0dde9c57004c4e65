"""The sampling method, on plain values: a population's hash, and a stratified draw from a seed.

No ORM here: the population comes in as `Item`s, the sample goes out as `Draw`, so an auditor can
replay a draw from the population stored with the sample (or from their own copy of it).

The method (ALGORITHM names it, and is stored with every sample):
- The population is grouped into strata by award; strata are taken in the order of their key
  (tender reference and award rank), and a stratum's claims in the order (claim type, claim id),
  the id compared as a number where it is one.
- Each stratum draws with its own PRNG, `random.Random(f"{seed}/{stratum key}")` (Python's
  Mersenne Twister, seeded from the string through SHA-512, so the same on every run and machine
  whatever PYTHONHASHSEED is): `rng.sample(range(n), n)` gives the order in which the stratum's
  n claims are drawn. Claims are taken in that order until the value taken is at least the floor
  of the stratum's value paid (value taken x 100 >= floor % x value paid, in exact decimals), and
  never fewer than one. One PRNG per stratum keeps a stratum's draw unchanged when another
  stratum's population changes.
- The population's hash is the SHA-256 of its canonical JSON (the definition and every item, keys
  sorted, no spaces, amounts as strings of rupees with paise).
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

ALGORITHM = "stratified-by-award/random.Random(seed/stratum)/v1"
ZERO = Decimal("0.00")
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Item:
    """One claim of the population: what was paid against it in the period, and how."""

    stratum: str  # e.g. "MHI/REPM/GTE/2026/01 L2"
    award_id: int
    claim_type: str
    claim_id: str
    value: Decimal  # paid against the claim in the period, rupees with paise
    letters: tuple[str, ...] = ()
    payments: tuple[tuple[str, str, str], ...] = ()  # (UTR, paid on ISO date, amount)

    @property
    def key(self) -> tuple[str, str]:
        return (self.claim_type, self.claim_id)

    def sort_key(self) -> tuple[str, int, str]:
        # A numeric id compares as a number (2 before 10); the rest as text after them.
        number = int(self.claim_id) if self.claim_id.isdigit() else -1
        return (self.claim_type, number, self.claim_id)

    def as_dict(self) -> dict[str, Any]:
        return {
            "stratum": self.stratum,
            "award_id": self.award_id,
            "claim_type": self.claim_type,
            "claim_id": self.claim_id,
            "value": str(self.value),
            "letters": list(self.letters),
            "payments": [list(p) for p in self.payments],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Item:
        return cls(
            stratum=str(data["stratum"]),
            award_id=int(data["award_id"]),
            claim_type=str(data["claim_type"]),
            claim_id=str(data["claim_id"]),
            value=Decimal(str(data["value"])),
            letters=tuple(str(n) for n in data.get("letters", ())),
            payments=tuple((str(u), str(d), str(a)) for u, d, a in data.get("payments", ())),
        )


@dataclass(frozen=True)
class Picked:
    item: Item
    draw_order: int  # 1 for the stratum's first claim drawn


@dataclass(frozen=True)
class Stratum:
    key: str
    award_id: int
    position: int  # 1 for the first stratum in key order
    population: tuple[Item, ...]
    picked: tuple[Picked, ...]
    floor_pct: Decimal

    @property
    def population_value(self) -> Decimal:
        return sum((i.value for i in self.population), ZERO)

    @property
    def sampled_value(self) -> Decimal:
        return sum((p.item.value for p in self.picked), ZERO)

    @property
    def target_value(self) -> Decimal:
        """The floor's share of the value paid, in paise rounded up (so reaching it meets the floor)."""
        exact = self.population_value * self.floor_pct / HUNDRED
        return exact.quantize(Decimal("0.01"), rounding="ROUND_CEILING")

    @property
    def floor_met(self) -> bool:
        return self.sampled_value * HUNDRED >= self.floor_pct * self.population_value


@dataclass(frozen=True)
class Draw:
    seed: str
    floor_pct: Decimal
    strata: tuple[Stratum, ...] = field(default_factory=tuple)

    @property
    def picked(self) -> list[Picked]:
        return [p for s in self.strata for p in s.picked]

    @property
    def keys(self) -> list[tuple[str, str]]:
        """The claims drawn, as (claim type, claim id), stratum by stratum in draw order."""
        return [p.item.key for p in self.picked]

    @property
    def population_value(self) -> Decimal:
        return sum((s.population_value for s in self.strata), ZERO)

    @property
    def sampled_value(self) -> Decimal:
        return sum((s.sampled_value for s in self.strata), ZERO)


def canonical(items: Iterable[Item]) -> list[Item]:
    """The population in its stable order: strata by key, claims by (type, id)."""
    return sorted(items, key=lambda i: (i.stratum, i.award_id, *i.sort_key()))


def population_hash(definition: dict[str, Any], items: Iterable[Item]) -> str:
    payload = {"definition": definition, "claims": [i.as_dict() for i in canonical(items)]}
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _order(seed: str, stratum: str, n: int) -> list[int]:
    rng = random.Random(f"{seed}/{stratum}")  # noqa: S311 (reproducible by design, not a secret)
    return rng.sample(range(n), n)


def draw(items: Sequence[Item], *, seed: str, floor_pct: Decimal) -> Draw:
    """Draw from each award's claims until the floor of its value paid is covered (at least one)."""
    if not isinstance(floor_pct, Decimal) or not ZERO < floor_pct <= HUNDRED:
        raise ValueError(f"The floor is a percentage above 0 and at most 100, not {floor_pct!r}.")
    if any(i.value <= 0 for i in items):
        raise ValueError("Every claim of the population was paid something.")
    keys = [i.key for i in items]
    if len(set(keys)) != len(keys):
        raise ValueError("A claim appears twice in the population.")
    grouped: dict[tuple[str, int], list[Item]] = {}
    for item in canonical(items):
        grouped.setdefault((item.stratum, item.award_id), []).append(item)
    strata = []
    for position, ((key, award_id), members) in enumerate(sorted(grouped.items()), start=1):
        value = sum((m.value for m in members), ZERO)
        picked: list[Picked] = []
        taken = ZERO
        for n, index in enumerate(_order(seed, key, len(members)), start=1):
            picked.append(Picked(members[index], n))
            taken += members[index].value
            if taken * HUNDRED >= floor_pct * value:
                break
        strata.append(Stratum(key, award_id, position, tuple(members), tuple(picked), floor_pct))
    return Draw(seed=seed, floor_pct=floor_pct, strata=tuple(strata))


__all__ = ["ALGORITHM", "Draw", "Item", "Picked", "Stratum", "canonical", "draw", "population_hash"]
