"""Fixtures of the monitor's tests (builders: tests/monitor/scheme.py)."""

from __future__ import annotations

import pytest

from tests.monitor.scheme import Scheme, build_scheme


@pytest.fixture
def scheme(rules, media_root, private_cache) -> Scheme:
    return build_scheme()
