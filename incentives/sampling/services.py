"""Every write of sampling: draw a sample, record a finding, open a recovery from a finding.

An auditor draws and records; an official (never the auditor who recorded the finding) opens a
recovery through the recovery path's own service, which a second official then confirms there.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Callable, Sequence
from decimal import Decimal, InvalidOperation
from pathlib import PurePath
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from beneficiaries.models import User
from incentives import sanctions
from incentives.models import Pool
from incentives.recovery import services as recovery_services
from incentives.recovery.models import Grounds, Recovery
from incentives.sampling import engine, selectors
from incentives.sampling.models import (
    FLOOR_MIN_PCT,
    RATIONALE_MIN_CHARS,
    SEED_REGEX,
    Finding,
    FindingRecovery,
    Outcome,
    Sample,
    SampledClaim,
    SampleStratum,
    SeedSource,
)
from repm_portal import audit, clock
from repm_portal.fiscal import FinancialYear
from repm_portal.money import format_inr, to_money
from repm_portal.roles import require_role
from repm_portal.text import control_problems
from repm_portal.uploads import JPEG, MB, PDF, PNG, checked_upload

EVIDENCE_TYPES = (PDF, PNG, JPEG)
EVIDENCE_MAX_BYTES = 20 * MB
EVIDENCE_EXTENSIONS = {PDF: {".pdf"}, PNG: {".png"}, JPEG: {".jpg", ".jpeg"}}
DEFAULT_FLOOR_PCT = Decimal("10.00")
_SEED = re.compile(SEED_REGEX)
_FY = re.compile(r"^(\d{4})-(\d{2})$")
T = TypeVar("T")

__all__ = [
    "DEFAULT_FLOOR_PCT",
    "draw_sample",
    "new_seed",
    "open_recovery",
    "parse_financial_year",
    "record_finding",
]


def new_seed() -> str:
    """A seed the auditor did not choose: 64 bits from the operating system's secure source."""
    return str(secrets.randbits(64))


def parse_financial_year(text: str) -> FinancialYear:
    """'2030-31' (or 'FY 2030-31') as a financial year; a clear error otherwise."""
    match = _FY.match((text or "").strip().removeprefix("FY ").strip())
    if match is None or (int(match.group(1)) + 1) % 100 != int(match.group(2)):
        raise ValidationError({"financial_year": [gettext("Give the financial year as 2030-31.")]})
    return FinancialYear(int(match.group(1)))


# The too-short message, one whole sentence per thing written.
_WRITE_IT = {
    "rationale": gettext_lazy(
        "Write the rationale in a sentence (at least four words, %(chars)s characters)."
    ),
    "finding": gettext_lazy(
        "Write the finding in a sentence (at least four words, %(chars)s characters)."
    ),
}


def _sentence(text: str, *, field: str, what: str) -> str:
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    problems = control_problems(text, what=what)
    if problems:
        raise ValidationError({field: problems})
    if len(text) < RATIONALE_MIN_CHARS or len(text.split()) < 4:
        raise ValidationError(
            {field: [_WRITE_IT[what] % {"chars": RATIONALE_MIN_CHARS}]}
        )  # fmt: skip
    return text


def _floor(value: Decimal | str | None) -> Decimal:
    try:
        floor = Decimal(str(DEFAULT_FLOOR_PCT if value in (None, "") else value)).quantize(
            Decimal("0.01")
        )
    except (InvalidOperation, ValueError):
        raise ValidationError(
            {"floor_pct": [gettext("Give the floor as a percentage, e.g. 10.")]}
        ) from None
    if not FLOOR_MIN_PCT <= floor <= 100:
        raise ValidationError(
            {
                "floor_pct": [
                    gettext(
                        "The floor is at least %(min)s %% and at most 100 %% of the value paid."
                    )
                    % {"min": FLOOR_MIN_PCT}
                ]
            }
        )
    return floor


def _kinds(kinds: Sequence[str]) -> list[str]:
    chosen = sorted({str(k) for k in kinds or ()})
    unknown = [k for k in chosen if sanctions.registered(k) is None]
    if not chosen or unknown:
        raise ValidationError(
            {
                "kinds": [
                    gettext(
                        "Choose the kinds of claim to sample: SLI quarters, true-ups, capital "
                        "subsidy."
                    )
                ]
            }
        )
    return chosen


def _checked(errors: dict[str, list[str]], check: Callable[[], T]) -> T | None:
    """The checked value, or None with its errors added (so every field is reported at once)."""
    try:
        return check()
    except ValidationError as exc:
        errors.update(exc.message_dict)
        return None


@transaction.atomic
def draw_sample(
    *,
    actor: User,
    financial_year: FinancialYear | str,
    kinds: Sequence[str],
    rationale: str,
    floor_pct: Decimal | str | None = None,
    seed: str | None = None,
    now: dt.datetime | None = None,
) -> Sample:
    """Draw a stratified sample of the year's paid claims; stored whole with its seed and hash."""
    require_role(actor, *selectors.AUDITORS, action="draw a sample")
    now = clock.now(now)
    errors: dict[str, list[str]] = {}
    fy = _checked(errors, lambda: financial_year if isinstance(financial_year, FinancialYear)
                  else parse_financial_year(financial_year))  # fmt: skip
    chosen = _checked(errors, lambda: _kinds(kinds)) or []
    floor = _checked(errors, lambda: _floor(floor_pct)) or DEFAULT_FLOOR_PCT
    stated = _checked(errors, lambda: _sentence(rationale, field="rationale", what="rationale"))
    given = (seed or "").strip()
    if given and not _SEED.fullmatch(given):
        errors.setdefault("seed", []).append(
            gettext(
                "A seed is 1 to 64 letters, digits or . _ : / - (or leave it empty for a random "
                "one)."
            )
        )
    if fy is not None and fy.start > timezone.localdate(now):
        errors.setdefault("financial_year", []).append(
            gettext("%(year)s has not begun.") % {"year": fy.label}
        )
    if errors:
        raise ValidationError(errors)
    assert fy is not None and stated is not None  # noqa: S101 (no error: both checked)
    items = selectors.population(fy, chosen)
    if not items:
        raise ValidationError(
            {
                "financial_year": [
                    gettext("No claim of the kinds chosen was paid in %(year)s: nothing to sample.")
                    % {"year": fy.label}
                ]
            }
        )
    source = SeedSource.AUDITOR if given else SeedSource.SECRETS
    seed = given or new_seed()
    definition = selectors.definition(fy, chosen)
    digest = engine.population_hash(definition, items)
    result = engine.draw(items, seed=seed, floor_pct=floor)
    sample = Sample.objects.create(
        financial_year=definition["financial_year"],
        kinds=chosen,
        floor_pct=floor,
        seed=seed,
        seed_source=source,
        rationale=stated,
        algorithm=engine.ALGORITHM,
        definition=definition,
        population=[i.as_dict() for i in items],
        population_hash=digest,
        population_count=len(items),
        population_value=result.population_value,
        sampled_count=len(result.picked),
        sampled_value=result.sampled_value,
        drawn_by=actor,
        drawn_at=now,
    )
    for stratum in result.strata:
        row = SampleStratum.objects.create(
            sample=sample,
            award_id=stratum.award_id,
            key=stratum.key,
            position=stratum.position,
            population_count=len(stratum.population),
            population_value=stratum.population_value,
            target_value=stratum.target_value,
            sampled_count=len(stratum.picked),
            sampled_value=stratum.sampled_value,
        )
        SampledClaim.objects.bulk_create(
            SampledClaim(
                sample=sample,
                stratum=row,
                award_id=stratum.award_id,
                claim_type=p.item.claim_type,
                claim_id=p.item.claim_id,
                value_paid=p.item.value,
                draw_order=p.draw_order,
                letters=list(p.item.letters),
            )
            for p in stratum.picked
        )
    audit.record(
        actor=actor,
        action="sample.drawn",
        obj=sample,
        new={
            "financial_year": sample.financial_year,
            "kinds": chosen,
            "floor_pct": floor,
            "seed": seed,
            "seed_source": source,
            "rationale": stated,
            "algorithm": engine.ALGORITHM,
            "population_hash": digest,
            "population_count": len(items),
            "population_value": result.population_value,
            "sampled": [f"{t}:{i}" for t, i in result.keys],
            "sampled_value": result.sampled_value,
        },
    )
    return sample


def _evidence(upload: UploadedFile) -> dict[str, Any]:
    name = PurePath(getattr(upload, "name", "") or "evidence").name
    info = checked_upload(
        upload, allowed=EVIDENCE_TYPES, max_bytes=EVIDENCE_MAX_BYTES, what=f"evidence file {name}"
    )
    extension = PurePath(name).suffix.lower()
    if extension not in EVIDENCE_EXTENSIONS[info["content_type"]]:
        kind = info["content_type"].split("/")[1].upper()
        raise ValidationError(
            (
                gettext(
                    "The evidence file %(name)s is a %(kind)s file but is named %(extension)s; "
                    "rename it and attach it again."
                )
                if extension
                else gettext(
                    "The evidence file %(name)s is a %(kind)s file but is named without an "
                    "extension; rename it and attach it again."
                )
            )
            % {"name": name, "kind": kind, "extension": extension}
        )
    return info


def record_finding(
    *,
    actor: User,
    claim: SampledClaim,
    outcome: str,
    text: str,
    amount_at_issue: Decimal | str | None = None,
    evidence: UploadedFile | None = None,
    now: dt.datetime | None = None,
) -> Finding:
    """Record what the field check found on a sampled claim; anything but 'no issue' needs evidence."""
    require_role(actor, *selectors.AUDITORS, action="record a finding")
    now = clock.now(now)
    errors: dict[str, list[str]] = {}
    if outcome not in Outcome.values:
        errors.setdefault("outcome", []).append(gettext("Say what the check found."))
    try:
        text = _sentence(text, field="text", what="finding")
    except ValidationError as exc:
        errors.update(exc.message_dict)
    amount = Decimal("0.00")
    try:
        amount = to_money(
            "0" if amount_at_issue is None or amount_at_issue == "" else amount_at_issue
        )
    except (ValueError, ArithmeticError, TypeError):
        errors.setdefault("amount_at_issue", []).append(
            gettext("Give the amount at issue in rupees, e.g. 125000.00.")
        )
    if amount < 0:
        errors.setdefault("amount_at_issue", []).append(
            gettext("The amount at issue cannot be negative.")
        )
    elif outcome == Outcome.NO_ISSUE and amount:
        errors.setdefault("amount_at_issue", []).append(
            gettext("A finding of no issue puts no amount at issue.")
        )
    elif outcome == Outcome.RECOVERY and not amount:
        errors.setdefault("amount_at_issue", []).append(
            gettext(
                "Say how much is to be recovered: a recommendation of recovery puts an amount "
                "at issue."
            )
        )
    elif amount > claim.value_paid:
        errors.setdefault("amount_at_issue", []).append(
            gettext("At most what was paid against the claim in the year (%(paid)s).")
            % {"paid": format_inr(claim.value_paid)}
        )
    info: dict[str, Any] | None = None
    if evidence is not None:
        try:
            info = _evidence(evidence)
        except ValidationError as exc:
            errors.setdefault("evidence", []).extend(exc.messages)
    elif outcome in (Outcome.DISCREPANCY, Outcome.RECOVERY):
        errors.setdefault("evidence", []).append(
            gettext(
                "Attach the evidence (PDF, PNG or JPEG) for a discrepancy or a recommended "
                "recovery."
            )
        )
    if errors:
        raise ValidationError(errors)
    finding = Finding(
        claim=claim,
        outcome=outcome,
        text=text,
        amount_at_issue=amount,
        recorded_by=actor,
        recorded_at=now,
    )
    if evidence is not None and info is not None:
        finding.evidence_name = info["original_name"]
        finding.evidence_type = info["content_type"]
        finding.evidence_size = info["size"]
        finding.evidence_sha256 = info["sha256"]
        finding.evidence.save(info["original_name"], evidence, save=False)
    try:
        with transaction.atomic():
            finding.save(force_insert=True)
            audit.record(
                actor=actor,
                action="finding.recorded",
                obj=finding,
                new={
                    "sample_id": claim.sample_id,
                    "claim": f"{claim.claim_type}:{claim.claim_id}",
                    "award_id": claim.award_id,
                    "outcome": outcome,
                    "text": text,
                    "amount_at_issue": amount,
                    "evidence": finding.evidence.name or None,
                    "evidence_sha256": finding.evidence_sha256 or None,
                },
            )
    except Exception:
        if finding.evidence:
            finding.evidence.storage.delete(finding.evidence.name)
        raise
    return finding


@transaction.atomic
def open_recovery(
    *,
    actor: User,
    finding: Finding,
    reason: str,
    pools: Sequence[str] | None = None,
    as_of: dt.date | None = None,
    invoke_guarantee: bool = False,
    now: dt.datetime | None = None,
) -> Recovery:
    """An official proposes, through the recovery path, the recovery a finding recommends.

    The recovery path recovers the award's payments in the pools chosen (by default the pool of
    the sampled claim) with interest; a second official confirms it on the recovery's page.
    """
    require_role(actor, *selectors.OPENERS, action="open a recovery from a finding")
    now = clock.now(now)
    finding = Finding.objects.select_for_update().select_related("claim").get(pk=finding.pk)
    if finding.recorded_by_id == actor.pk or finding.claim.sample.drawn_by_id == actor.pk:
        raise PermissionDenied(
            gettext(
                "The auditor who drew the sample or recorded the finding may not open its "
                "recovery; an official must."
            )
        )
    if finding.outcome != Outcome.RECOVERY:
        raise ValidationError(gettext("Only a finding that recommends recovery opens one."))
    live = selectors.live_recovery_of(finding)
    if live is not None:
        raise ValidationError(
            gettext("Recovery %(pk)s was opened from this finding and is %(status)s.")
            % {"pk": live.pk, "status": gettext(live.get_status_display()).lower()}
        )
    claim = finding.claim
    if pools is None:
        kind = sanctions.registered(claim.claim_type)
        pools = [kind.pool] if kind is not None else [Pool.SLI]
    recovery = recovery_services.propose_recovery(
        actor=actor,
        award=claim.award,
        grounds=Grounds.INELIGIBLE,
        reason=reason,
        pools=pools,
        as_of=as_of or timezone.localdate(now),
        invoke_guarantee=invoke_guarantee,
        now=now,
    )
    link = FindingRecovery.objects.create(
        finding=finding, recovery=recovery, opened_by=actor, opened_at=now
    )
    audit.record(
        actor=actor,
        action="finding.recovery_opened",
        obj=finding,
        new={
            "recovery_id": recovery.pk,
            "link_id": link.pk,
            "award_id": claim.award_id,
            "pools": list(recovery.pools),
            "total": recovery.total,
            "amount_at_issue": finding.amount_at_issue,
        },
    )
    return recovery
