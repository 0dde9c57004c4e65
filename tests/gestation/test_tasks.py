"""The beat jobs of gestation and the guarantee lifecycle are scheduled and registered, and they run."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings

from incentives.gestation import tasks
from incentives.gestation.models import Plant

JOBS = {
    "gestation-open-missing": "incentives.gestation.tasks.open_missing_gestations",
    "bidding-flag-expired-guarantees": "bidding.tasks.flag_expired_guarantees",
}


@pytest.mark.parametrize(("entry", "task"), sorted(JOBS.items()))
def test_beat_runs_the_registered_task_daily(entry, task):
    from repm_portal.celery import app

    app.loader.import_default_modules()
    assert settings.CELERY_BEAT_SCHEDULE[entry]["task"] == task
    assert task in app.tasks


def test_the_sweep_task_opens_a_plant_for_an_award_without_one(award):
    assert tasks.open_missing_gestations.apply().get() == 1
    plant = Plant.objects.get(award=award)
    assert plant.gestation_ends_on == dt.date(2028, 2, 15)
