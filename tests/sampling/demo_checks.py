"""The sampling demo: one sample of FY 2030-31 on the whole demo, with its findings; and its guards."""

from __future__ import annotations

import importlib

import pytest

from incentives.recovery.models import Recovery
from incentives.sampling import demo as sampling_demo
from incentives.sampling import selectors
from incentives.sampling.models import Finding, Outcome, Sample

pytestmark = pytest.mark.django_db
_loader = importlib.import_module("repm_portal.migrations.0003_load_repm_scheme")
LOCMEM = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


def test_the_demo_draws_one_sample_of_the_last_year_with_its_findings(demo):
    sample = Sample.objects.get()
    assert (sample.financial_year, sample.seed, sample.floor_pct) == (
        "2030-31",
        sampling_demo.SEED,
        10,
    )
    assert sorted(sample.kinds) == sorted(selectors.SAMPLED_KINDS)
    assert f"Sample {sample.pk} of claims paid in FY 2030-31" in demo
    # every award paid in the year is a stratum, each at or above its floor
    strata = list(sample.strata.all())
    assert len(strata) == 5
    assert all(s.sampled_value * 100 >= 10 * s.population_value for s in strata)
    check = selectors.redraw_check(sample)
    assert check.record_intact and check.replay_matches and check.population_unchanged
    outcomes = sorted(Finding.objects.values_list("outcome", flat=True))
    assert outcomes == sorted([Outcome.NO_ISSUE, Outcome.DISCREPANCY, Outcome.RECOVERY])
    recommended = Finding.objects.get(outcome=Outcome.RECOVERY)
    assert (
        recommended.claim.award.rank == sampling_demo.RECOVERY_RANK and recommended.evidence_sha256
    )
    # left for an official to take up: no recovery opened from it, L3 has none of its own
    assert not recommended.recoveries.exists()
    assert not Recovery.objects.filter(award=recommended.claim.award).exists()


def test_seeding_again_draws_nothing_more(demo):
    before = (Sample.objects.count(), Finding.objects.count())
    sampling_demo.seed()
    assert (Sample.objects.count(), Finding.objects.count()) == before
