"""Least Cost System ranking, capacity allocation and IREL oxide split: plain values in and out."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from repm_portal.money import CRORE, format_indian_number

# Units, not scheme data: the scheme's numbers all arrive through AllocationRules.
_KG_PER_TONNE = 1000


class TieBreakKey(StrEnum):
    CAPACITY_DESC = "capacity_desc"
    NET_WORTH_DESC = "net_worth_desc"
    SUBMITTED_AT_ASC = "submitted_at_asc"


# The rule set's default order (SCHEME.md §2); a rule-set version may store another.
DEFAULT_TIE_BREAK: tuple[TieBreakKey, ...] = (
    TieBreakKey.CAPACITY_DESC,
    TieBreakKey.NET_WORTH_DESC,
    TieBreakKey.SUBMITTED_AT_ASC,
)


class WaitlistReason(StrEnum):
    WINNER_LIMIT_REACHED = "winner_limit_reached"
    TARGET_FULLY_ALLOCATED = "target_fully_allocated"
    REMAINDER_BELOW_MINIMUM = "remainder_below_minimum"
    PARTIAL_NOT_ACCEPTED = "partial_not_accepted"


@dataclass(frozen=True, kw_only=True)
class BidForRanking:
    bid_id: int
    bidder: str
    quoted_rate: Decimal
    capacity_mtpa: int
    net_worth: Decimal
    submitted_at: datetime
    accepts_partial: bool


@dataclass(frozen=True, kw_only=True)
class AllocationRules:
    target_mtpa: int
    max_winners: int
    min_capacity_mtpa: int
    max_capacity_mtpa: int
    capacity_step_mtpa: int
    oxide_mtpa: Decimal
    oxide_winners: int
    tie_break: tuple[TieBreakKey, ...] = DEFAULT_TIE_BREAK

    def __post_init__(self) -> None:
        # Stored rule sets hand over plain strings and lists; keep the frozen value canonical.
        object.__setattr__(self, "tie_break", validate_tie_break(self.tie_break))
        for name in (
            "target_mtpa",
            "max_winners",
            "min_capacity_mtpa",
            "max_capacity_mtpa",
            "capacity_step_mtpa",
            "oxide_winners",
        ):
            value = getattr(self, name)
            if not _is_int(value) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if self.min_capacity_mtpa > self.max_capacity_mtpa:
            raise ValueError(
                f"min_capacity_mtpa {self.min_capacity_mtpa} exceeds "
                f"max_capacity_mtpa {self.max_capacity_mtpa}"
            )
        for name in ("min_capacity_mtpa", "max_capacity_mtpa"):
            if getattr(self, name) % self.capacity_step_mtpa:
                raise ValueError(
                    f"{name} {getattr(self, name)} is not a multiple of "
                    f"capacity_step_mtpa {self.capacity_step_mtpa}"
                )
        oxide = self.oxide_mtpa
        if not isinstance(oxide, Decimal) or not oxide.is_finite() or oxide < 0:
            raise ValueError(f"oxide_mtpa must be a non-negative Decimal, got {oxide!r}")
        oxide_kg = oxide * _KG_PER_TONNE
        if oxide_kg != oxide_kg.to_integral_value():
            raise ValueError(f"oxide_mtpa {oxide} is finer than a kilogram")


@dataclass(frozen=True, kw_only=True)
class RankedBid:
    rank: int
    bid: BidForRanking
    # Why this bid sits where it does among bids at the same rate; None if its rate is unique.
    tie_note: str | None

    @property
    def label(self) -> str:
        return f"L{self.rank}"


@dataclass(frozen=True, kw_only=True)
class Slot:
    bid_id: int
    rank: int
    bid_capacity_mtpa: int
    allocated_mtpa: int
    is_partial: bool
    oxide_mtpa: Decimal

    @property
    def label(self) -> str:
        return f"L{self.rank}"


@dataclass(frozen=True, kw_only=True)
class WaitlistEntry:
    bid_id: int
    rank: int
    reason_code: WaitlistReason
    reason: str

    @property
    def label(self) -> str:
        return f"L{self.rank}"


@dataclass(frozen=True, kw_only=True)
class Allocation:
    rules: AllocationRules
    ranking: tuple[RankedBid, ...]
    slots: tuple[Slot, ...]
    waitlist: tuple[WaitlistEntry, ...]
    total_allocated_mtpa: int
    unallocated_mtpa: int


def validate_tie_break(keys: Iterable[str]) -> tuple[TieBreakKey, ...]:
    """Return the keys as TieBreakKey members; unknown or repeated keys raise ValueError."""
    if isinstance(keys, str):
        raise ValueError(f"tie_break must be a sequence of keys, not the string {keys!r}")
    validated: list[TieBreakKey] = []
    for key in keys:
        try:
            member = TieBreakKey(key)
        except ValueError:
            expected = ", ".join(repr(k.value) for k in TieBreakKey)
            raise ValueError(f"unknown tie-break key {key!r}; expected one of {expected}") from None
        if member in validated:
            raise ValueError(f"tie-break key {key!r} appears more than once")
        validated.append(member)
    return tuple(validated)


def rank(
    bids: Iterable[BidForRanking], tie_break: Iterable[str] = DEFAULT_TIE_BREAK
) -> list[RankedBid]:
    """Order bids by the Least Cost System: lowest quoted rate first, ties by `tie_break`."""
    keys = validate_tie_break(tie_break)
    bids = tuple(bids)
    _validate_bids(bids)
    ordered = sorted(bids, key=lambda bid: _sort_key(bid, keys))
    same_rate: dict[Decimal, list[BidForRanking]] = {}
    for bid in ordered:
        same_rate.setdefault(bid.quoted_rate, []).append(bid)
    return [
        RankedBid(rank=position, bid=bid, tie_note=_tie_note(bid, same_rate[bid.quoted_rate], keys))
        for position, bid in enumerate(ordered, start=1)
    ]


def allocate(bids: Iterable[BidForRanking], rules: AllocationRules) -> Allocation:
    """Walk the ranking and award capacity within the target and the winner limit."""
    bids = tuple(bids)
    _validate_bids(bids)
    _validate_capacities(bids, rules)
    ranking = tuple(rank(bids, rules.tie_break))

    remaining = rules.target_mtpa
    awards: list[tuple[RankedBid, int]] = []
    waitlist: list[WaitlistEntry] = []
    for ranked in ranking:
        allocated, reason_code, reason = _decide(ranked.bid, remaining, len(awards), rules)
        if reason_code is None:
            awards.append((ranked, allocated))
            remaining -= allocated
        else:
            waitlist.append(
                WaitlistEntry(
                    bid_id=ranked.bid.bid_id,
                    rank=ranked.rank,
                    reason_code=reason_code,
                    reason=reason,
                )
            )

    oxide = _oxide_shares([allocated for _, allocated in awards], rules)
    slots = tuple(
        Slot(
            bid_id=ranked.bid.bid_id,
            rank=ranked.rank,
            bid_capacity_mtpa=ranked.bid.capacity_mtpa,
            allocated_mtpa=allocated,
            is_partial=allocated < ranked.bid.capacity_mtpa,
            oxide_mtpa=share,
        )
        for (ranked, allocated), share in zip(awards, oxide, strict=True)
    )
    total = sum(slot.allocated_mtpa for slot in slots)
    return Allocation(
        rules=rules,
        ranking=ranking,
        slots=slots,
        waitlist=tuple(waitlist),
        total_allocated_mtpa=total,
        unallocated_mtpa=rules.target_mtpa - total,
    )


def explain(allocation: Allocation) -> list[str]:
    """The allocation told step by step, in the order the ranking was walked."""
    rules = allocation.rules
    slots = {slot.bid_id: slot for slot in allocation.slots}
    waitlisted = {entry.bid_id: entry for entry in allocation.waitlist}
    lines = [
        f"Target {_mtpa(rules.target_mtpa)}; at most {rules.max_winners} winners; "
        f"each award {_mtpa(rules.min_capacity_mtpa)} to {_mtpa(rules.max_capacity_mtpa)} "
        f"in multiples of {_mtpa(rules.capacity_step_mtpa)}.",
        f"Ties on rate broken by: {_describe_tie_break(rules.tie_break)}.",
    ]
    if not allocation.ranking:
        lines.append("No qualified bids to rank.")
    remaining = rules.target_mtpa
    for ranked in allocation.ranking:
        bid = ranked.bid
        head = (
            f"{ranked.label} bid {bid.bid_id} ({bid.bidder}) at {_rate(bid.quoted_rate)}, "
            f"bid capacity {_mtpa(bid.capacity_mtpa)}"
        )
        if bid.bid_id in slots:
            slot = slots[bid.bid_id]
            before, remaining = remaining, remaining - slot.allocated_mtpa
            if slot.is_partial:
                outcome = (
                    f"only {_mtpa(before)} left, so a partial award of "
                    f"{_mtpa(slot.allocated_mtpa)}, accepted by the bidder; {_mtpa(remaining)} left"
                )
            else:
                outcome = f"{_mtpa(slot.allocated_mtpa)} awarded in full; {_mtpa(remaining)} left"
        else:
            outcome = f"waitlisted: {waitlisted[bid.bid_id].reason}"
        line = f"{head}: {outcome}."
        if ranked.tie_note:
            line += f" {ranked.tie_note}."
        lines.append(line)
    lines.append(
        f"Total allocated {_mtpa(allocation.total_allocated_mtpa)} of "
        f"{_mtpa(rules.target_mtpa)} to {len(allocation.slots)} winner(s); "
        f"{_mtpa(allocation.unallocated_mtpa)} unallocated; "
        f"{len(allocation.waitlist)} bid(s) on the waitlist."
    )
    sharing = allocation.slots[: rules.oxide_winners]
    if sharing:
        shares = ", ".join(
            f"{slot.label} bid {slot.bid_id} {_tonnes(slot.oxide_mtpa)}" for slot in sharing
        )
        lines.append(
            f"IREL NdPr oxide {_tonnes(rules.oxide_mtpa)} shared by the "
            f"{len(sharing)} lowest-rate winner(s) "
            f"pro rata to allocated capacity: {shares}."
        )
    return lines


# Allocation steps


def _decide(
    bid: BidForRanking, remaining: int, winners: int, rules: AllocationRules
) -> tuple[int, WaitlistReason | None, str]:
    """Capacity awarded to `bid` at its turn, or 0 with the reason it is waitlisted."""
    if remaining <= 0:
        return (
            0,
            WaitlistReason.TARGET_FULLY_ALLOCATED,
            f"target fully allocated ({_mtpa(rules.target_mtpa)} awarded)",
        )
    if winners >= rules.max_winners:
        return (
            0,
            WaitlistReason.WINNER_LIMIT_REACHED,
            f"winner limit reached ({winners} of {rules.max_winners} winners already awarded)",
        )
    if bid.capacity_mtpa <= remaining:
        return bid.capacity_mtpa, None, ""
    offer = remaining // rules.capacity_step_mtpa * rules.capacity_step_mtpa
    short = f"bid capacity {_mtpa(bid.capacity_mtpa)} exceeds the {_mtpa(remaining)} left"
    if offer < rules.min_capacity_mtpa:
        rounded = "" if offer == remaining else f" (rounded down to {_mtpa(offer)})"
        return (
            0,
            WaitlistReason.REMAINDER_BELOW_MINIMUM,
            f"{short}; remainder{rounded} below the minimum of {_mtpa(rules.min_capacity_mtpa)}",
        )
    if not bid.accepts_partial:
        return (
            0,
            WaitlistReason.PARTIAL_NOT_ACCEPTED,
            f"{short}; partial award of {_mtpa(offer)} not accepted by bidder",
        )
    return offer, None, ""


def _oxide_shares(allocated: Sequence[int], rules: AllocationRules) -> list[Decimal]:
    """Split the oxide among the first winners pro rata, to the kilogram, summing exactly."""
    sharing = list(allocated[: rules.oxide_winners])
    units = [0] * len(allocated)
    total_kg = int(rules.oxide_mtpa * _KG_PER_TONNE)
    if sharing:
        weight = sum(sharing)
        for i, capacity in enumerate(sharing):
            units[i] = total_kg * capacity // weight
        # Largest remainder; sorted() is stable, so equal remainders go in rank order.
        by_remainder = sorted(range(len(sharing)), key=lambda i: -(total_kg * sharing[i] % weight))
        for i in by_remainder[: total_kg - sum(units)]:
            units[i] += 1
    return [Decimal(kg).scaleb(-3) for kg in units]


# Ranking


_TIE_BREAK_VALUE: dict[TieBreakKey, Callable[[BidForRanking], Any]] = {
    TieBreakKey.CAPACITY_DESC: lambda bid: -bid.capacity_mtpa,
    TieBreakKey.NET_WORTH_DESC: lambda bid: -bid.net_worth,
    TieBreakKey.SUBMITTED_AT_ASC: lambda bid: bid.submitted_at,
}


def _sort_key(bid: BidForRanking, keys: Sequence[TieBreakKey]) -> tuple[Any, ...]:
    # bid_id last: equal bids still get one order, whatever order they arrived in.
    return (bid.quoted_rate, *(_TIE_BREAK_VALUE[key](bid) for key in keys), bid.bid_id)


def _tie_note(
    bid: BidForRanking, same_rate: Sequence[BidForRanking], keys: Sequence[TieBreakKey]
) -> str | None:
    peers = [peer for peer in same_rate if peer.bid_id != bid.bid_id]
    if not peers:
        return None
    if len(peers) == 1:
        return f"Same rate as bid {peers[0].bid_id}; {_ordered_against(bid, peers[0], keys, 'it')}"
    names = ", ".join(str(peer.bid_id) for peer in peers[:-1]) + f" and {peers[-1].bid_id}"
    clauses = "; ".join(_ordered_against(bid, peer, keys, f"bid {peer.bid_id}") for peer in peers)
    return f"Same rate as bids {names}; {clauses}"


def _ordered_against(
    bid: BidForRanking, peer: BidForRanking, keys: Sequence[TieBreakKey], peer_name: str
) -> str:
    above = _sort_key(bid, keys) < _sort_key(peer, keys)
    position = "above" if above else "below"
    for key in keys:
        if _TIE_BREAK_VALUE[key](bid) != _TIE_BREAK_VALUE[key](peer):
            return f"ranked {position} {peer_name} on {_tie_break_reason(key, bid, peer)}"
    number = "lower" if above else "higher"
    return (
        f"ranked {position} {peer_name} on {number} bid number "
        f"({bid.bid_id} vs {peer.bid_id}), every tie-break rule being equal"
    )


def _tie_break_reason(key: TieBreakKey, bid: BidForRanking, peer: BidForRanking) -> str:
    if key is TieBreakKey.CAPACITY_DESC:
        more = "larger" if bid.capacity_mtpa > peer.capacity_mtpa else "smaller"
        return (
            f"{more} bid capacity "
            f"({format_indian_number(bid.capacity_mtpa)} vs {format_indian_number(peer.capacity_mtpa)} MTPA)"
        )
    if key is TieBreakKey.NET_WORTH_DESC:
        more = "higher" if bid.net_worth > peer.net_worth else "lower"
        mine, theirs = _crore(bid.net_worth), _crore(peer.net_worth)
        if mine == theirs:
            mine, theirs = _rupees(bid.net_worth), _rupees(peer.net_worth)
        return f"{more} net worth ({mine} vs {theirs})"
    more = "earlier" if bid.submitted_at < peer.submitted_at else "later"
    theirs_at = peer.submitted_at.astimezone(bid.submitted_at.tzinfo)
    fine = bool(bid.submitted_at.microsecond or theirs_at.microsecond)
    return (
        f"{more} final submission "
        f"({_timestamp(bid.submitted_at, fine)} vs {_timestamp(theirs_at, fine)})"
    )


def _describe_tie_break(keys: Sequence[TieBreakKey]) -> str:
    words = {
        TieBreakKey.CAPACITY_DESC: "larger bid capacity",
        TieBreakKey.NET_WORTH_DESC: "higher net worth",
        TieBreakKey.SUBMITTED_AT_ASC: "earlier final submission",
    }
    return ", then ".join([*(words[key] for key in keys), "lower bid number"])


# Validation


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _validate_bids(bids: Sequence[BidForRanking]) -> None:
    seen: set[int] = set()
    for bid in bids:
        if not _is_int(bid.bid_id):
            raise ValueError(f"bid {bid.bid_id!r}: bid_id must be an integer")
        if bid.bid_id in seen:
            raise ValueError(f"bid {bid.bid_id}: the same bid_id appears more than once")
        seen.add(bid.bid_id)
        rate = bid.quoted_rate
        if not isinstance(rate, Decimal) or not rate.is_finite() or rate <= 0:
            raise ValueError(
                f"bid {bid.bid_id}: quoted rate must be a positive Decimal, got {rate!r}"
            )
        if not isinstance(bid.net_worth, Decimal) or not bid.net_worth.is_finite():
            raise ValueError(
                f"bid {bid.bid_id}: net worth must be a finite Decimal, got {bid.net_worth!r}"
            )
        if not _is_int(bid.capacity_mtpa):
            raise ValueError(
                f"bid {bid.bid_id}: capacity must be an integer, got {bid.capacity_mtpa!r}"
            )
        at = bid.submitted_at
        if not isinstance(at, datetime) or at.utcoffset() is None:
            raise ValueError(
                f"bid {bid.bid_id}: submitted_at must be a timezone-aware datetime, got {at!r}"
            )


def _validate_capacities(bids: Sequence[BidForRanking], rules: AllocationRules) -> None:
    for bid in bids:
        capacity = bid.capacity_mtpa
        if not rules.min_capacity_mtpa <= capacity <= rules.max_capacity_mtpa:
            raise ValueError(
                f"bid {bid.bid_id}: capacity {_mtpa(capacity)} is outside "
                f"{_mtpa(rules.min_capacity_mtpa)} to {_mtpa(rules.max_capacity_mtpa)}"
            )
        if capacity % rules.capacity_step_mtpa:
            raise ValueError(
                f"bid {bid.bid_id}: capacity {_mtpa(capacity)} is not a multiple of "
                f"{_mtpa(rules.capacity_step_mtpa)}"
            )


# Formatting, the Indian way (1,23,45,678), through the project's one money module


def _mtpa(value: int) -> str:
    return f"{format_indian_number(value)} MTPA"


def _tonnes(value: Decimal) -> str:
    return f"{format_indian_number(value, 3)} MTPA"


def _rate(value: Decimal) -> str:
    return f"Rs {format_indian_number(value, 2)}/kg"


def _crore(value: Decimal) -> str:
    return f"Rs {format_indian_number(value / CRORE, 2)} crore"


def _rupees(value: Decimal) -> str:
    return f"Rs {format_indian_number(value, 2)}"


def _timestamp(at: datetime, fine: bool) -> str:
    seconds = f"{at:%d %b %Y %H:%M:%S}"
    if fine:
        seconds += f".{at.microsecond:06d}"
    return f"{seconds} {at.tzname() or at.strftime('%z')}"
