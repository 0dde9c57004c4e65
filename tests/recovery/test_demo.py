"""The recovery demo's own guards; the exit story itself is checked on the whole seed in tests/sli/test_demo.py.

The exit needs every SLI year before it seeded (what L5 was paid is what it refunds), so the
story is asserted where the whole demo is seeded once; here, what the recovery demo does when
what it needs is not there.
"""

from __future__ import annotations

import pytest

from beneficiaries import demo as beneficiaries_demo
from bidding import demo as bidding_demo
from bidding.models import PerformanceBankGuarantee
from incentives.recovery import demo
from incentives.recovery.models import Recovery

pytestmark = pytest.mark.django_db


def test_without_awards_the_demo_proposes_nothing_and_says_so(rules):
    assert demo.seed() == ["No award to exit: no recovery."]
    assert not Recovery.objects.exists()


def test_an_award_paid_nothing_is_not_asked_to_refund_and_its_guarantee_stands(rules, media_root):
    beneficiaries_demo.seed()
    bidding_demo.seed()
    assert demo.seed() == [f"L{demo.EXITING_RANK} was paid nothing: no recovery."]
    assert not Recovery.objects.exists()
    assert (
        PerformanceBankGuarantee.objects.get(
            award__rank=demo.EXITING_RANK, award__tender__reference=demo.MAIN_REFERENCE
        ).status
        == PerformanceBankGuarantee.Status.ACTIVE
    )
