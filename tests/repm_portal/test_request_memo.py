"""A page's memo: inside a scope a repeated read is answered once; outside, every call reads afresh."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incentives import ledger
from incentives.models import Pool
from repm_portal import request_memo, selectors
from repm_portal.models import CapacitySlab, RuleSet, Scheme

pytestmark = pytest.mark.django_db
_loader = importlib.import_module("repm_portal.migrations.0003_load_repm_scheme")
DAY = dt.date(2027, 6, 1)


@pytest.fixture
def rules():
    if not RuleSet.objects.filter(scheme__code="REPM", version=1).exists():
        _loader.load_scheme(Scheme, RuleSet, CapacitySlab)


def test_inside_a_scope_the_rule_set_in_force_is_read_once(rules):
    outside = selectors.rule_set_in_force(on=DAY)
    with request_memo.scope(), CaptureQueriesContext(connection) as captured:
        first = selectors.rule_set_in_force(on=DAY)
        again = selectors.rule_set_in_force(on=DAY, scheme_code=selectors.SCHEME_CODE)
        versions = selectors.rule_set_list()
    assert first.pk == again.pk == outside.pk and [v.pk for v in versions][-1] >= first.pk
    assert len(captured) == 2  # the rule sets and their slabs, once


def test_inside_a_scope_every_pool_is_read_in_one_query_and_matches_a_plain_read(rules):
    plain = {pool.value: ledger.balances(pool=pool.value) for pool in Pool}
    with request_memo.scope(), CaptureQueriesContext(connection) as captured:
        shared = {pool.value: ledger.balances(pool=pool.value) for pool in Pool}
    assert shared == plain and len(captured) == 1


def test_outside_a_scope_nothing_is_kept(rules):
    with CaptureQueriesContext(connection) as captured:
        selectors.rule_set_in_force(on=DAY)
        selectors.rule_set_in_force(on=DAY)
    assert len(captured) == 4
