"""The sampling demo: one sample of FY 2030-31 on the whole demo, with its findings; and its guards."""

from __future__ import annotations

import importlib

import pytest

from beneficiaries import demo as beneficiaries_demo
from incentives.sampling import demo
from incentives.sampling.models import Sample

pytestmark = pytest.mark.django_db
_loader = importlib.import_module("repm_portal.migrations.0003_load_repm_scheme")
LOCMEM = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


def test_without_an_auditor_the_demo_draws_nothing_and_says_so(rules):
    assert demo.seed() == ["No auditor: no sample drawn."]
    assert not Sample.objects.exists()


def test_with_nothing_paid_the_demo_draws_nothing_and_says_so(rules):
    beneficiaries_demo.seed()
    assert demo.seed() == ["Nothing paid in FY 2030-31: no sample drawn."]
    assert not Sample.objects.exists()
