"""Keeping OCDS releases: one per public moment of a tender, built from the audit trail.

Why from the audit trail and not a row written by each service: the public events are spread over
five apps (bidding, gestation, sanctions, payments, documents) and bidding may not import
incentives, so a hook in each service would tie them all to this app. Each of those events is
already an audited row in its own transaction, append-only and hash-chained; this sweep (beat,
every minute, and `manage.py keep_ocds_releases`) reads the public ones after the last it kept,
groups a tender's events of the same moment (one transaction: an award of five bids), and stores
the release as it stood at that moment: every part of the builder is cut at the event's time, so
a release kept late (a sweep after an outage, or the demo) is still the one of its moment.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import Max
from django.utils.dateparse import parse_datetime

from bidding.models import Award, AwardLetter, Tender, TenderVersion
from incentives.gestation.models import Milestone, Plant
from incentives.models import Payment
from incentives.opendata import ocds
from incentives.opendata.models import KeptRelease
from repm_portal import clock
from repm_portal.models import AuditEvent

# Audited action -> the OCDS tag of the release it makes. (The commissioning is the accepted
# commissioning milestone, audited in the same transaction as plant.commissioned.)
PUBLIC_ACTIONS = {
    "tender.published": "tender",
    "tender.corrigendum_issued": "tenderAmendment",
    "tender.technical_opened": "tenderUpdate",
    "tender.technical_evaluated": "tenderUpdate",
    "tender.financial_opened": "tenderUpdate",
    "tender.cancelled": "tenderCancellation",
    "tender.awarded": "award",
    "award.made": "award",
    "award_letter.issued": "contract",
    "plant.opened": "implementation",
    "milestone.verified": "implementation",
    "milestone.accepted": "implementation",
    "payment.recorded": "implementation",
}
TAG_ORDER = (
    "tender",
    "tenderAmendment",
    "tenderUpdate",
    "tenderCancellation",
    "award",
    "contract",
    "implementation",
)
# object_type -> how to find the tender (a path from the audited model) and its own moment.
_TENDER_OF: dict[str, tuple[type[models.Model], str, str]] = {
    "bidding.tender": (Tender, "pk", "published_at"),
    "bidding.tenderversion": (TenderVersion, "tender_id", "issued_at"),
    "bidding.award": (Award, "tender_id", "awarded_at"),
    "bidding.awardletter": (AwardLetter, "award__tender_id", "rendered_at"),
    "gestation.plant": (Plant, "award__tender_id", "created_at"),
    "gestation.milestone": (Milestone, "plant__award__tender_id", "verified_at"),
    "incentives.payment": (Payment, "letter__award__tender_id", "recorded_at"),
}
BATCH = 2000
_LOCK = "repm-opendata-releases"


@dataclass
class _Group:
    tender_id: int
    moment: dt.datetime
    events: list[int]
    tags: set[str]


def _to_millisecond(moment: dt.datetime) -> dt.datetime:
    # The audit trail stores times to the millisecond (DjangoJSONEncoder): group and cut on that.
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def _located(events: list[AuditEvent]) -> dict[int, tuple[int, dt.datetime | None]]:
    """Event id -> (tender id, the object's own moment), in one query per object type."""
    ids: dict[str, set[str]] = defaultdict(set)
    for e in events:
        ids[e.object_type].add(e.object_id)
    found: dict[tuple[str, str], tuple[int, dt.datetime | None]] = {}
    for object_type, object_ids in ids.items():
        model, path, moment_field = _TENDER_OF[object_type]
        rows = model._default_manager.filter(pk__in=[int(i) for i in object_ids if i.isdigit()])
        for pk, tender_id, moment in rows.values_list("pk", path, moment_field):
            found[(object_type, str(pk))] = (tender_id, moment)
    return {
        e.pk: found[(e.object_type, e.object_id)]
        for e in events
        if (e.object_type, e.object_id) in found
    }


def _moment(event: AuditEvent, own: dt.datetime | None) -> dt.datetime:
    at = (event.new_values or {}).get("at") if isinstance(event.new_values, dict) else None
    parsed = parse_datetime(at) if isinstance(at, str) else None
    return _to_millisecond(parsed or own or event.occurred_at)


def _groups(events: list[AuditEvent]) -> list[_Group]:
    located = _located(events)
    # A re-tender's publication is news of its parent too: the parent's record links to it.
    published = [
        located[e.pk][0] for e in events if e.action == "tender.published" and e.pk in located
    ]
    parents = dict(
        Tender.objects.filter(pk__in=published, parent__isnull=False).values_list("pk", "parent_id")
    )
    groups: dict[tuple[int, dt.datetime], _Group] = {}

    def add(tender_id: int, moment: dt.datetime, event: AuditEvent, tag: str) -> None:
        group = groups.setdefault(
            (tender_id, moment), _Group(tender_id=tender_id, moment=moment, events=[], tags=set())
        )
        group.events.append(event.pk)
        group.tags.add(tag)

    for event in events:
        if event.pk not in located:
            continue
        tender_id, own = located[event.pk]
        moment = _moment(event, own)
        add(tender_id, moment, event, PUBLIC_ACTIONS[event.action])
        if event.action == "tender.published" and tender_id in parents:
            add(parents[tender_id], moment, event, "tenderUpdate")
    return sorted(groups.values(), key=lambda g: (g.events[-1], g.tender_id))


def canonical(content: dict[str, Any]) -> str:
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _keep(group: _Group, tender: Tender, *, base_url: str, now: dt.datetime) -> KeptRelease:
    cut = group.moment + dt.timedelta(microseconds=999)
    release = ocds.build_release(tender, base_url=base_url, now=cut)
    sequence = (
        KeptRelease.objects.filter(tender=tender).aggregate(n=Max("sequence"))["n"] or 0
    ) + 1
    release_id = f"{release['ocid']}-{sequence:04d}"
    release["id"] = release_id
    release["date"] = ocds.tender_ocds._iso(group.moment)
    release["tag"] = [t for t in TAG_ORDER if t in group.tags]
    return KeptRelease.objects.create(
        tender=tender,
        ocid=release["ocid"],
        sequence=sequence,
        release_id=release_id,
        date=group.moment,
        tags=release["tag"],
        content=release,
        sha256=hashlib.sha256(canonical(release).encode("utf-8")).hexdigest(),
        event_id=group.events[-1],
        events=group.events,
        kept_at=now,
    )


@transaction.atomic
def keep_releases(
    *, now: dt.datetime | None = None, base_url: str | None = None
) -> list[KeptRelease]:
    """Keep a release for every public moment audited since the last one kept; a repeat keeps nothing."""
    now = clock.now(now)
    base_url = base_url or settings.SITE_URL
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [_LOCK])
    mark = KeptRelease.objects.aggregate(m=Max("event_id"))["m"] or 0
    events = list(
        AuditEvent.objects.filter(
            pk__gt=mark, action__in=PUBLIC_ACTIONS, object_type__in=_TENDER_OF
        ).order_by("pk")[:BATCH]
    )
    groups = _groups(events)
    tenders = Tender.objects.in_bulk({g.tender_id for g in groups})
    kept = []
    for group in groups:
        tender = tenders[group.tender_id]
        if tender.published_at is None:  # a draft cancelled before it was ever public
            continue
        kept.append(_keep(group, tender, base_url=base_url, now=now))
    return kept
