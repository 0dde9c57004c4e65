"""Tests for the ranking, allocation and oxide-split engine."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bidding.engine import (
    DEFAULT_TIE_BREAK,
    Allocation,
    AllocationRules,
    BidForRanking,
    TieBreakKey,
    WaitlistReason,
    allocate,
    explain,
    rank,
    validate_tie_break,
)

IST = ZoneInfo("Asia/Kolkata")
BID_DUE = datetime(2026, 3, 2, 17, 0, tzinfo=IST)
CRORE = Decimal(10_000_000)


def make_bid(
    bid_id: int,
    *,
    rate: str,
    capacity: int,
    net_worth_crore: int = 400,
    minutes_before_due: int = 60,
    accepts_partial: bool = False,
    bidder: str | None = None,
) -> BidForRanking:
    return BidForRanking(
        bid_id=bid_id,
        bidder=bidder or f"Bidder {bid_id}",
        quoted_rate=Decimal(rate),
        capacity_mtpa=capacity,
        net_worth=net_worth_crore * CRORE,
        submitted_at=BID_DUE - timedelta(minutes=minutes_before_due),
        accepts_partial=accepts_partial,
    )


def scheme_rules(**overrides: object) -> AllocationRules:
    values: dict[str, object] = {
        "target_mtpa": 6000,
        "max_winners": 5,
        "min_capacity_mtpa": 600,
        "max_capacity_mtpa": 1200,
        "capacity_step_mtpa": 100,
        "oxide_mtpa": Decimal("500"),
        "oxide_winners": 3,
    }
    values.update(overrides)
    return AllocationRules(**values)  # type: ignore[arg-type]


def main_tender_bids() -> list[BidForRanking]:
    return [
        make_bid(1, rate="1850.00", capacity=1200, bidder="Acme Magnets"),
        make_bid(2, rate="1900.00", capacity=800, bidder="Bharat Rare Earths"),
        make_bid(3, rate="1900.00", capacity=1000, bidder="Coastal Sintering"),
        make_bid(4, rate="1950.00", capacity=1200, bidder="Deccan Alloys"),
        make_bid(5, rate="2000.00", capacity=1000, bidder="Eastern Magnetics"),
        make_bid(6, rate="2050.00", capacity=1200, accepts_partial=True, bidder="Fusion NdFeB"),
        make_bid(7, rate="2100.00", capacity=600, bidder="Ganga Metals"),
        make_bid(8, rate="2150.00", capacity=700, bidder="Himalaya Magnet Works"),
    ]


def by_bid(allocation: Allocation) -> tuple[dict, dict]:
    return (
        {slot.bid_id: slot for slot in allocation.slots},
        {entry.bid_id: entry for entry in allocation.waitlist},
    )


# The main tender


def test_main_tender_awards_five_lowest_rates_and_waitlists_the_rest():
    # Given the main tender with eight qualified bids and the scheme's rules
    bids = main_tender_bids()

    # When the capacity is allocated
    allocation = allocate(bids, scheme_rules())

    # Then the five lowest rates win their full bid capacity, in rank order
    assert [(s.label, s.bid_id, s.allocated_mtpa) for s in allocation.slots] == [
        ("L1", 1, 1200),
        ("L2", 3, 1000),
        ("L3", 2, 800),
        ("L4", 4, 1200),
        ("L5", 5, 1000),
    ]
    assert not any(slot.is_partial for slot in allocation.slots)
    assert allocation.total_allocated_mtpa == 5200
    assert allocation.unallocated_mtpa == 800
    # and the other three wait, ranked, because the winner limit is reached
    assert [(e.label, e.bid_id, e.reason_code) for e in allocation.waitlist] == [
        ("L6", 6, WaitlistReason.WINNER_LIMIT_REACHED),
        ("L7", 7, WaitlistReason.WINNER_LIMIT_REACHED),
        ("L8", 8, WaitlistReason.WINNER_LIMIT_REACHED),
    ]
    assert allocation.waitlist[0].reason == (
        "winner limit reached (5 of 5 winners already awarded)"
    )


def test_main_tender_tie_on_rate_is_broken_by_larger_capacity():
    # Given bids 2 (800 MTPA) and 3 (1,000 MTPA) at the same rate
    bids = main_tender_bids()

    # When they are ranked
    ranking = rank(bids)

    # Then the larger capacity ranks first, and both say why
    by_id = {ranked.bid.bid_id: ranked for ranked in ranking}
    assert (by_id[3].label, by_id[2].label) == ("L2", "L3")
    assert by_id[3].tie_note == (
        "Same rate as bid 2; ranked above it on larger bid capacity (1,000 vs 800 MTPA)"
    )
    assert by_id[2].tie_note == (
        "Same rate as bid 3; ranked below it on smaller bid capacity (800 vs 1,000 MTPA)"
    )
    # and bids with a rate of their own carry no note
    assert by_id[1].tie_note is None
    assert by_id[8].tie_note is None


def test_main_tender_oxide_goes_to_l1_to_l3_pro_rata_to_the_kilogram():
    # Given the main tender, whose L1-L3 winners hold 1,200, 1,000 and 800 MTPA
    allocation = allocate(main_tender_bids(), scheme_rules())

    # When the oxide shares are read
    shares = [slot.oxide_mtpa for slot in allocation.slots]

    # Then L1-L3 share 500 t exactly, with the spare kilogram on the largest remainder
    assert shares[:3] == [Decimal("200.000"), Decimal("166.667"), Decimal("133.333")]
    assert sum(shares) == Decimal("500.000")
    # and L4-L5 get none
    assert shares[3:] == [Decimal("0.000"), Decimal("0.000")]
    assert all(share.as_tuple().exponent == -3 for share in shares)


def test_main_tender_explain_reads_step_by_step():
    # Given the main tender's allocation
    allocation = allocate(main_tender_bids(), scheme_rules())

    # When it is explained
    lines = explain(allocation)

    # Then each rank is one step, with the capacity left after it
    assert lines[0] == (
        "Target 6,000 MTPA; at most 5 winners; each award 600 MTPA to 1,200 MTPA "
        "in multiples of 100 MTPA."
    )
    assert lines[1] == (
        "Ties on rate broken by: larger bid capacity, then higher net worth, "
        "then earlier final submission, then lower bid number."
    )
    assert lines[2] == (
        "L1 bid 1 (Acme Magnets) at Rs 1,850.00/kg, bid capacity 1,200 MTPA: "
        "1,200 MTPA awarded in full; 4,800 MTPA left."
    )
    assert lines[3] == (
        "L2 bid 3 (Coastal Sintering) at Rs 1,900.00/kg, bid capacity 1,000 MTPA: "
        "1,000 MTPA awarded in full; 3,800 MTPA left. Same rate as bid 2; "
        "ranked above it on larger bid capacity (1,000 vs 800 MTPA)."
    )
    assert lines[7] == (
        "L6 bid 6 (Fusion NdFeB) at Rs 2,050.00/kg, bid capacity 1,200 MTPA: "
        "waitlisted: winner limit reached (5 of 5 winners already awarded)."
    )
    assert lines[-2] == (
        "Total allocated 5,200 MTPA of 6,000 MTPA to 5 winner(s); 800 MTPA unallocated; "
        "3 bid(s) on the waitlist."
    )
    assert lines[-1] == (
        "IREL NdPr oxide 500.000 MTPA shared by the 3 lowest-rate winner(s) pro rata to "
        "allocated capacity: L1 bid 1 200.000 MTPA, L2 bid 3 166.667 MTPA, "
        "L3 bid 2 133.333 MTPA."
    )
    assert len(lines) == 2 + 8 + 2


# Re-tender, remainders and limits


def test_retender_gives_partial_award_to_the_bidder_that_accepts_it():
    # Given a re-tender of 900 MTPA of forfeited capacity, where L1 bids 1,200 MTPA
    # without accepting partial award and L2 bids 1,200 MTPA accepting it
    bids = [
        make_bid(11, rate="1800.00", capacity=1200, accepts_partial=False),
        make_bid(12, rate="1850.00", capacity=1200, accepts_partial=True),
        make_bid(13, rate="1900.00", capacity=700),
    ]

    # When the re-tender is allocated
    allocation = allocate(bids, scheme_rules(target_mtpa=900))

    # Then L1 is passed, L2 gets the 900 MTPA, and L3 finds the target full
    slots, waitlist = by_bid(allocation)
    assert waitlist[11].reason_code == WaitlistReason.PARTIAL_NOT_ACCEPTED
    assert waitlist[11].reason == (
        "bid capacity 1,200 MTPA exceeds the 900 MTPA left; "
        "partial award of 900 MTPA not accepted by bidder"
    )
    assert (slots[12].allocated_mtpa, slots[12].is_partial, slots[12].rank) == (900, True, 2)
    assert slots[12].bid_capacity_mtpa == 1200
    assert waitlist[13].reason_code == WaitlistReason.TARGET_FULLY_ALLOCATED
    assert (allocation.total_allocated_mtpa, allocation.unallocated_mtpa) == (900, 0)
    # and the sole winner takes all the oxide
    assert slots[12].oxide_mtpa == Decimal("500.000")
    assert (
        "L2 bid 12 (Bidder 12) at Rs 1,850.00/kg, bid capacity 1,200 MTPA: only 900 MTPA "
        "left, so a partial award of 900 MTPA, accepted by the bidder; 0 MTPA left."
    ) in explain(allocation)


def test_remainder_below_minimum_is_not_offered():
    # Given 2,300 MTPA to allocate, with L1 + L2 taking 1,800 MTPA
    bids = [
        make_bid(21, rate="1800.00", capacity=1200),
        make_bid(22, rate="1850.00", capacity=600),
        make_bid(23, rate="1900.00", capacity=1200, accepts_partial=True),
    ]

    # When allocated
    allocation = allocate(bids, scheme_rules(target_mtpa=2300))

    # Then the 500 MTPA remainder is below the minimum, so L3 waits though it accepts partial
    _, waitlist = by_bid(allocation)
    assert waitlist[23].reason_code == WaitlistReason.REMAINDER_BELOW_MINIMUM
    assert waitlist[23].reason == (
        "bid capacity 1,200 MTPA exceeds the 500 MTPA left; remainder below the minimum of 600 MTPA"
    )
    assert (allocation.total_allocated_mtpa, allocation.unallocated_mtpa) == (1800, 500)


def test_remainder_is_rounded_down_to_the_step_before_it_is_offered():
    # Given a target that is not a multiple of the step, leaving 750 MTPA after L1
    bids = [
        make_bid(31, rate="1800.00", capacity=1200),
        make_bid(32, rate="1850.00", capacity=1000, accepts_partial=True),
    ]

    # When allocated
    allocation = allocate(bids, scheme_rules(target_mtpa=1950))

    # Then L2 is offered 700 MTPA, not 750
    slots, _ = by_bid(allocation)
    assert (slots[32].allocated_mtpa, slots[32].is_partial) == (700, True)
    assert allocation.unallocated_mtpa == 50


def test_remainder_rounded_below_minimum_says_so():
    # Given 650 MTPA left after L1, a 200 MTPA step and an 800 MTPA minimum
    bids = [
        make_bid(41, rate="1800.00", capacity=1200),
        make_bid(42, rate="1850.00", capacity=1000, accepts_partial=True),
    ]
    rules = scheme_rules(
        target_mtpa=1850, min_capacity_mtpa=800, max_capacity_mtpa=1200, capacity_step_mtpa=200
    )

    # When allocated
    allocation = allocate(bids, rules)

    # Then the reason shows both the remainder and its rounding
    _, waitlist = by_bid(allocation)
    assert waitlist[42].reason == (
        "bid capacity 1,000 MTPA exceeds the 650 MTPA left; "
        "remainder (rounded down to 600 MTPA) below the minimum of 800 MTPA"
    )


def test_a_later_smaller_bid_fits_where_a_larger_one_was_passed():
    # Given 800 MTPA left after L1, L2 bidding 1,000 MTPA without partial, L3 bidding 800
    bids = [
        make_bid(51, rate="1800.00", capacity=1200),
        make_bid(52, rate="1850.00", capacity=1000, accepts_partial=False),
        make_bid(53, rate="1900.00", capacity=800),
    ]

    # When allocated
    allocation = allocate(bids, scheme_rules(target_mtpa=2000))

    # Then L2 waits and L3 takes the 800 MTPA in full
    slots, waitlist = by_bid(allocation)
    assert waitlist[52].reason_code == WaitlistReason.PARTIAL_NOT_ACCEPTED
    assert (slots[53].allocated_mtpa, slots[53].is_partial) == (800, False)
    assert allocation.unallocated_mtpa == 0


def test_winner_limit_stops_awards_even_with_capacity_left():
    # Given a rule set allowing two winners and three 600 MTPA bids
    bids = [make_bid(60 + i, rate=f"{1800 + i}.00", capacity=600) for i in range(3)]

    # When allocated
    allocation = allocate(bids, scheme_rules(max_winners=2))

    # Then two win, and the third waits for the winner limit, not for lack of capacity
    assert [slot.bid_id for slot in allocation.slots] == [60, 61]
    assert allocation.waitlist[0].bid_id == 62
    assert allocation.waitlist[0].reason_code == WaitlistReason.WINNER_LIMIT_REACHED
    assert allocation.waitlist[0].reason == (
        "winner limit reached (2 of 2 winners already awarded)"
    )
    assert allocation.unallocated_mtpa == 4800


def test_target_fully_allocated_by_five_full_awards():
    # Given five 1,200 MTPA bids and a sixth
    bids = [make_bid(70 + i, rate=f"{1800 + i}.00", capacity=1200) for i in range(6)]

    # When allocated
    allocation = allocate(bids, scheme_rules())

    # Then the target is full and the sixth is told so
    assert allocation.total_allocated_mtpa == 6000
    assert allocation.waitlist[0].reason_code == WaitlistReason.TARGET_FULLY_ALLOCATED
    assert allocation.waitlist[0].reason == "target fully allocated (6,000 MTPA awarded)"


def test_no_bids_allocates_nothing():
    # Given no qualified bids
    # When allocated
    allocation = allocate([], scheme_rules())

    # Then nothing is awarded and the explanation says so
    assert (allocation.slots, allocation.waitlist, allocation.ranking) == ((), (), ())
    assert allocation.unallocated_mtpa == 6000
    assert "No qualified bids to rank." in explain(allocation)
    assert rank([]) == []


# Tie-break keys


def test_tie_on_rate_and_capacity_is_broken_by_higher_net_worth():
    # Given two bids alike except in net worth
    bids = [
        make_bid(81, rate="1900.00", capacity=1000, net_worth_crore=350),
        make_bid(82, rate="1900.00", capacity=1000, net_worth_crore=420),
    ]

    # When ranked
    ranking = rank(bids)

    # Then the higher net worth ranks first
    assert [ranked.bid.bid_id for ranked in ranking] == [82, 81]
    assert ranking[0].tie_note == (
        "Same rate as bid 81; ranked above it on higher net worth "
        "(Rs 420.00 crore vs Rs 350.00 crore)"
    )
    assert ranking[1].tie_note == (
        "Same rate as bid 82; ranked below it on lower net worth "
        "(Rs 350.00 crore vs Rs 420.00 crore)"
    )


def test_net_worth_differing_below_a_paisa_of_crore_is_shown_in_rupees():
    # Given net worths that look equal in crore to two decimals
    low = make_bid(83, rate="1900.00", capacity=1000)
    high = BidForRanking(**{**low.__dict__, "bid_id": 84, "net_worth": low.net_worth + 1})

    # When ranked
    ranking = rank([low, high])

    # Then the note shows full rupees so the difference is visible
    assert ranking[0].tie_note == (
        "Same rate as bid 83; ranked above it on higher net worth "
        "(Rs 4,00,00,00,001.00 vs Rs 4,00,00,00,000.00)"
    )


def test_tie_on_rate_capacity_and_net_worth_is_broken_by_earlier_submission():
    # Given two bids alike except in the time of final submission
    bids = [
        make_bid(91, rate="1900.00", capacity=1000, minutes_before_due=5),
        make_bid(92, rate="1900.00", capacity=1000, minutes_before_due=125),
    ]

    # When ranked
    ranking = rank(bids)

    # Then the earlier submission ranks first
    assert [ranked.bid.bid_id for ranked in ranking] == [92, 91]
    assert ranking[0].tie_note == (
        "Same rate as bid 91; ranked above it on earlier final submission "
        "(02 Mar 2026 14:55:00 IST vs 02 Mar 2026 16:55:00 IST)"
    )


def test_submission_times_are_compared_as_instants_across_time_zones():
    # Given the same instant recorded in IST and UTC, and a later one in UTC
    ist = make_bid(93, rate="1900.00", capacity=1000)
    same_in_utc = BidForRanking(
        **{**ist.__dict__, "bid_id": 94, "submitted_at": ist.submitted_at.astimezone(UTC)}
    )
    later = BidForRanking(
        **{**ist.__dict__, "bid_id": 95, "submitted_at": same_in_utc.submitted_at + timedelta(1)}
    )

    # When ranked
    ranking = rank([later, same_in_utc, ist])

    # Then the equal instants fall to the bid number, the later one is last
    assert [ranked.bid.bid_id for ranked in ranking] == [93, 94, 95]
    assert "on lower bid number (93 vs 94), every tie-break rule being equal" in (
        ranking[0].tie_note or ""
    )
    assert "ranked above bid 95 on earlier final submission (02 Mar 2026 16:00:00 IST vs " in (
        ranking[0].tie_note or ""
    )


def test_identical_bids_fall_back_to_lower_bid_number():
    # Given two bids identical in every tie-break value
    bids = [make_bid(102, rate="1900.00", capacity=1000), make_bid(101, rate="1900", capacity=1000)]

    # When ranked
    ranking = rank(bids)

    # Then the lower bid number ranks first, and the note says no rule separated them
    assert [ranked.bid.bid_id for ranked in ranking] == [101, 102]
    assert ranking[0].tie_note == (
        "Same rate as bid 102; ranked above it on lower bid number (101 vs 102), "
        "every tie-break rule being equal"
    )


def test_tie_break_order_comes_from_the_rule_set():
    # Given a rule set that puts submission time before capacity
    bids = [
        make_bid(111, rate="1900.00", capacity=1200, minutes_before_due=5),
        make_bid(112, rate="1900.00", capacity=600, minutes_before_due=90),
    ]
    rules = scheme_rules(tie_break=["submitted_at_asc", "capacity_desc"])

    # When allocated
    allocation = allocate(bids, rules)

    # Then the earlier, smaller bid ranks first
    assert [ranked.bid.bid_id for ranked in allocation.ranking] == [112, 111]
    assert rules.tie_break == (TieBreakKey.SUBMITTED_AT_ASC, TieBreakKey.CAPACITY_DESC)
    assert (
        "Ties on rate broken by: earlier final submission, then larger bid capacity, "
        in (explain(allocation)[1])
    )


def test_three_way_tie_names_the_rule_against_each_other_bid():
    # Given three bids at one rate, separated by capacity and then net worth
    bids = [
        make_bid(121, rate="1900.00", capacity=800, net_worth_crore=500),
        make_bid(122, rate="1900.00", capacity=1000),
        make_bid(123, rate="1900.00", capacity=800, net_worth_crore=300),
    ]

    # When ranked
    ranking = rank(bids)

    # Then the middle bid names both rules, peers listed in rank order
    assert [ranked.bid.bid_id for ranked in ranking] == [122, 121, 123]
    assert ranking[1].tie_note == (
        "Same rate as bids 122 and 123; "
        "ranked below bid 122 on smaller bid capacity (800 vs 1,000 MTPA); "
        "ranked above bid 123 on higher net worth (Rs 500.00 crore vs Rs 300.00 crore)"
    )


def test_default_tie_break_is_capacity_then_net_worth_then_submission():
    assert validate_tie_break(DEFAULT_TIE_BREAK) == (
        TieBreakKey.CAPACITY_DESC,
        TieBreakKey.NET_WORTH_DESC,
        TieBreakKey.SUBMITTED_AT_ASC,
    )
    assert scheme_rules().tie_break == DEFAULT_TIE_BREAK


@pytest.mark.parametrize(
    ("tie_break", "message"),
    [
        (("capacity_desc", "rate_asc"), "unknown tie-break key 'rate_asc'"),
        (("capacity_desc", "capacity_desc"), "'capacity_desc' appears more than once"),
        ("capacity_desc", "must be a sequence of keys"),
    ],
)
def test_bad_tie_break_keys_are_refused(tie_break, message):
    with pytest.raises(ValueError, match=message):
        scheme_rules(tie_break=tie_break)
    with pytest.raises(ValueError, match=message):
        rank([], tie_break)


# Validation


@pytest.mark.parametrize(
    ("bad_bid", "message"),
    [
        (make_bid(9, rate="1900", capacity=500), "bid 9: capacity 500 MTPA is outside"),
        (make_bid(9, rate="1900", capacity=1300), "bid 9: capacity 1,300 MTPA is outside"),
        (make_bid(9, rate="1900", capacity=650), "bid 9: capacity 650 MTPA is not a multiple"),
        (make_bid(9, rate="0", capacity=600), "bid 9: quoted rate must be a positive"),
        (make_bid(9, rate="-1850", capacity=600), "bid 9: quoted rate must be a positive"),
        (make_bid(9, rate="NaN", capacity=600), "bid 9: quoted rate must be a positive"),
        (make_bid(1, rate="2000", capacity=600), "bid 1: the same bid_id appears more than once"),
    ],
)
def test_invalid_bids_are_refused_by_name(bad_bid, message):
    # Given a valid bid and a bad one
    bids = [make_bid(1, rate="1900", capacity=600), bad_bid]

    # When allocated, then the bad bid is named
    with pytest.raises(ValueError, match=message):
        allocate(bids, scheme_rules())


def test_naive_submission_time_is_refused():
    naive = BidForRanking(
        **{**make_bid(9, rate="1900", capacity=600).__dict__, "submitted_at": datetime(2026, 3, 2)}  # noqa: DTZ001
    )
    with pytest.raises(ValueError, match="bid 9: submitted_at must be a timezone-aware"):
        rank([naive])


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"target_mtpa": 0}, "target_mtpa must be a positive integer"),
        ({"max_winners": -1}, "max_winners must be a positive integer"),
        ({"capacity_step_mtpa": 0}, "capacity_step_mtpa must be a positive integer"),
        ({"oxide_winners": 0}, "oxide_winners must be a positive integer"),
        ({"min_capacity_mtpa": 1300}, "min_capacity_mtpa 1300 exceeds max_capacity_mtpa 1200"),
        ({"min_capacity_mtpa": 650}, "min_capacity_mtpa 650 is not a multiple"),
        ({"oxide_mtpa": Decimal("-1")}, "oxide_mtpa must be a non-negative Decimal"),
        ({"oxide_mtpa": 500}, "oxide_mtpa must be a non-negative Decimal"),
        ({"oxide_mtpa": Decimal("500.0005")}, "finer than a kilogram"),
    ],
)
def test_invalid_rules_are_refused(overrides, message):
    with pytest.raises(ValueError, match=message):
        scheme_rules(**overrides)


# The IREL oxide


def test_equal_remainders_give_the_spare_kilograms_in_rank_order():
    # Given three winners of equal capacity: 500 t / 3 leaves two spare kilograms
    bids = [make_bid(130 + i, rate=f"{1900 - i}.00", capacity=1000) for i in range(3)]

    # When allocated
    allocation = allocate(bids, scheme_rules())

    # Then L1 and L2 take one kilogram each
    assert [(s.label, s.oxide_mtpa) for s in allocation.slots] == [
        ("L1", Decimal("166.667")),
        ("L2", Decimal("166.667")),
        ("L3", Decimal("166.666")),
    ]


def test_oxide_quantity_and_sharing_winners_come_from_the_rule_set():
    # Given a rule set sharing 400.5 t among two winners
    bids = [
        make_bid(141, rate="1800.00", capacity=700),
        make_bid(142, rate="1850.00", capacity=600),
        make_bid(143, rate="1900.00", capacity=900),
    ]
    rules = scheme_rules(oxide_mtpa=Decimal("400.5"), oxide_winners=2)

    # When allocated
    allocation = allocate(bids, rules)

    # Then L1 and L2 split it 7:6, to the kilogram, and L3 gets none
    assert [slot.oxide_mtpa for slot in allocation.slots] == [
        Decimal("215.654"),
        Decimal("184.846"),
        Decimal("0.000"),
    ]


def test_partial_award_counts_for_the_oxide_at_its_allocated_capacity():
    # Given a re-tender where L2 receives a partial award of 900 of its 1,200 MTPA
    bids = [
        make_bid(151, rate="1800.00", capacity=600),
        make_bid(152, rate="1850.00", capacity=1200, accepts_partial=True),
    ]

    # When allocated
    allocation = allocate(bids, scheme_rules(target_mtpa=1500))

    # Then the oxide is split 600:900, not 600:1,200
    assert [slot.oxide_mtpa for slot in allocation.slots] == [
        Decimal("200.000"),
        Decimal("300.000"),
    ]


# Properties

RATES = [Decimal(r) for r in ("1800", "1800.00", "1850.50", "1900", "2000", "2150")]
NET_WORTHS = [Decimal(n) * CRORE for n in (180, 245, 310, 375, 400)]
SUBMISSION_TIMES = [
    BID_DUE - timedelta(hours=2),
    (BID_DUE - timedelta(hours=2)).astimezone(UTC),
    BID_DUE - timedelta(minutes=1),
    BID_DUE - timedelta(minutes=1, microseconds=1),
]


@st.composite
def bounds(draw: st.DrawFn) -> tuple[int, int, int]:
    step = draw(st.sampled_from([50, 100, 200]))
    min_capacity = step * draw(st.integers(1, 8))
    return step, min_capacity, min_capacity + step * draw(st.integers(0, 8))


@st.composite
def tenders(draw: st.DrawFn) -> tuple[list[BidForRanking], AllocationRules]:
    step, min_capacity, max_capacity = draw(st.one_of(st.just((100, 600, 1200)), bounds()))
    keys = draw(st.permutations(list(TieBreakKey)))
    rules = AllocationRules(
        # Mostly a whole number of steps, as a tender's target is; sometimes not.
        target_mtpa=draw(
            st.one_of(
                st.just(6000),
                st.integers(1, 40).map(lambda steps: steps * step),
                st.integers(1, 8000),
            )
        ),
        max_winners=draw(st.integers(1, 6)),
        min_capacity_mtpa=min_capacity,
        max_capacity_mtpa=max_capacity,
        capacity_step_mtpa=step,
        oxide_mtpa=Decimal(draw(st.integers(0, 1_000_000))).scaleb(-3),
        oxide_winners=draw(st.integers(1, 4)),
        tie_break=tuple(keys[: draw(st.integers(0, len(keys)))]),
    )
    bid_ids = draw(st.lists(st.integers(1, 10_000), unique=True, max_size=10))
    capacities = st.sampled_from(range(min_capacity, max_capacity + 1, step))
    bids = [
        BidForRanking(
            bid_id=bid_id,
            bidder=f"Bidder {bid_id}",
            quoted_rate=draw(st.sampled_from(RATES)),
            capacity_mtpa=draw(capacities),
            net_worth=draw(st.sampled_from(NET_WORTHS)),
            submitted_at=draw(st.sampled_from(SUBMISSION_TIMES)),
            accepts_partial=draw(st.booleans()),
        )
        for bid_id in bid_ids
    ]
    return bids, rules


# More examples than the default, since partial awards need a narrow window of what is left;
# no deadline, so a slow CI machine does not fail a pure computation on timing.
properties = settings(max_examples=300, deadline=None)


@properties
@given(tenders())
def test_allocation_stays_within_target_and_winner_limit(tender):
    bids, rules = tender
    allocation = allocate(bids, rules)
    assert allocation.total_allocated_mtpa <= rules.target_mtpa
    assert allocation.total_allocated_mtpa == sum(s.allocated_mtpa for s in allocation.slots)
    assert allocation.unallocated_mtpa == rules.target_mtpa - allocation.total_allocated_mtpa
    assert len(allocation.slots) <= rules.max_winners


@properties
@given(tenders())
def test_every_award_is_within_bounds_and_on_the_step(tender):
    bids, rules = tender
    allocation = allocate(bids, rules)
    accepts_partial = {bid.bid_id: bid.accepts_partial for bid in bids}
    for slot in allocation.slots:
        assert rules.min_capacity_mtpa <= slot.allocated_mtpa <= rules.max_capacity_mtpa
        assert slot.allocated_mtpa % rules.capacity_step_mtpa == 0
        assert slot.allocated_mtpa <= slot.bid_capacity_mtpa
        assert slot.is_partial == (slot.allocated_mtpa < slot.bid_capacity_mtpa)
        assert not slot.is_partial or accepts_partial[slot.bid_id]


@properties
@given(tenders())
def test_every_bid_is_either_awarded_or_waitlisted_in_rank_order(tender):
    bids, rules = tender
    allocation = allocate(bids, rules)
    slot_ranks = [slot.rank for slot in allocation.slots]
    waitlist_ranks = [entry.rank for entry in allocation.waitlist]
    assert slot_ranks == sorted(slot_ranks)
    assert waitlist_ranks == sorted(waitlist_ranks)
    assert sorted(slot_ranks + waitlist_ranks) == list(range(1, len(bids) + 1))
    assert {s.bid_id for s in allocation.slots} | {e.bid_id for e in allocation.waitlist} == {
        bid.bid_id for bid in bids
    }
    assert all(entry.reason for entry in allocation.waitlist)


@properties
@given(tenders())
def test_ranking_is_least_cost_and_notes_only_ties(tender):
    bids, rules = tender
    ranking = rank(bids, rules.tie_break)
    assert [ranked.rank for ranked in ranking] == list(range(1, len(bids) + 1))
    rates = [ranked.bid.quoted_rate for ranked in ranking]
    assert rates == sorted(rates)
    for ranked in ranking:
        shares_rate = rates.count(ranked.bid.quoted_rate) > 1
        assert (ranked.tie_note is not None) == shares_rate


@properties
@given(tenders())
def test_every_waitlisted_bid_had_a_legitimate_reason_at_its_turn(tender):
    bids, rules = tender
    allocation = allocate(bids, rules)
    awarded = {slot.rank: slot for slot in allocation.slots}
    waitlisted = {entry.rank: entry for entry in allocation.waitlist}
    remaining, winners = rules.target_mtpa, 0
    for ranked in allocation.ranking:
        capacity = ranked.bid.capacity_mtpa
        offer = remaining // rules.capacity_step_mtpa * rules.capacity_step_mtpa
        if ranked.rank in awarded:
            slot = awarded[ranked.rank]
            assert winners < rules.max_winners
            if capacity <= remaining:
                assert slot.allocated_mtpa == capacity
            else:
                assert ranked.bid.accepts_partial
                assert slot.allocated_mtpa == offer >= rules.min_capacity_mtpa
            remaining -= slot.allocated_mtpa
            winners += 1
            continue
        reason = waitlisted[ranked.rank].reason_code
        if reason == WaitlistReason.TARGET_FULLY_ALLOCATED:
            assert remaining == 0
        elif reason == WaitlistReason.WINNER_LIMIT_REACHED:
            assert winners == rules.max_winners
        else:
            # It could not fit, and no partial award was possible or accepted.
            assert remaining > 0
            assert winners < rules.max_winners
            assert capacity > remaining
            if reason == WaitlistReason.REMAINDER_BELOW_MINIMUM:
                assert offer < rules.min_capacity_mtpa
            else:
                assert reason == WaitlistReason.PARTIAL_NOT_ACCEPTED
                assert offer >= rules.min_capacity_mtpa
                assert not ranked.bid.accepts_partial


@properties
@given(tenders(), st.randoms(use_true_random=False))
def test_same_bids_in_any_order_give_the_same_allocation(tender, random):
    bids, rules = tender
    shuffled = list(bids)
    random.shuffle(shuffled)
    first = allocate(bids, rules)
    assert allocate(bids, rules) == first
    assert allocate(shuffled, rules) == first
    assert explain(allocate(shuffled, rules)) == explain(first)


@properties
@given(tenders())
def test_oxide_shares_sum_exactly_to_the_oxide_quantity(tender):
    bids, rules = tender
    allocation = allocate(bids, rules)
    shares = [slot.oxide_mtpa for slot in allocation.slots]
    assert all(share.as_tuple().exponent == -3 for share in shares)
    assert all(share == 0 for share in shares[rules.oxide_winners :])
    if allocation.slots:
        assert sum(shares) == rules.oxide_mtpa
        sharing = allocation.slots[: rules.oxide_winners]
        weight = sum(slot.allocated_mtpa for slot in sharing)
        for slot in sharing:
            exact = rules.oxide_mtpa * slot.allocated_mtpa / weight
            assert abs(slot.oxide_mtpa - exact) < Decimal("0.001")
