"""The firm declares the NdPr oxide its claim period used, by source: checked whole, replaced whole, audited."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from beneficiaries.models import User
from incentives.claims.models import OXIDE_TONNES, Claim, FeedstockDeclaration
from incentives.claims.services.receiving import require_beneficiary
from incentives.claims.services.settling import label_of
from incentives.ingest.columns import ISO_COUNTRY_CODES
from repm_portal import audit, clock

Source = FeedstockDeclaration.Source
PLACES = OXIDE_TONNES["decimal_places"]
TONNE = Decimal(1).scaleb(-PLACES)
LIMIT = Decimal(10) ** (OXIDE_TONNES["max_digits"] - PLACES)
# A declaration has a row per source (per country for imports); more than this is a mistake.
MAX_ROWS = 50


def _tonnes(value: Any, where: str) -> Decimal:
    if value is None or str(value).strip() == "":
        raise ValidationError(f"{where}: give the tonnes of oxide (0 if none).")
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValidationError(f"{where}: '{value}' is not a number of tonnes.") from None
    if not amount.is_finite():
        raise ValidationError(f"{where}: '{value}' is not a number of tonnes.")
    if amount < 0:
        raise ValidationError(f"{where}: {amount} t is negative; oxide used is 0 or more.")
    if amount != amount.quantize(TONNE):
        raise ValidationError(f"{where}: {amount} t has more than {PLACES} decimals (kg).")
    if amount >= LIMIT:
        raise ValidationError(f"{where}: {amount} t is too large.")
    return amount.quantize(TONNE)


def checked_rows(rows: Iterable[Mapping[str, Any]]) -> list[tuple[str, str, Decimal]]:
    """The rows as (source, country, tonnes), or one ValidationError naming every bad row.

    Rows are numbered from 1 as given. A source is one of irel, domestic, imported, recycled;
    an import names its country (ISO 3166 alpha-2, not IN), other sources none; a source (an
    import: a country) appears once.
    """
    rows = list(rows)
    if not rows:
        raise ValidationError("Declare the oxide used in the period: at least one source.")
    if len(rows) > MAX_ROWS:
        raise ValidationError(f"{len(rows)} rows: a declaration has at most {MAX_ROWS}.")
    errors: list[str] = []
    found: list[tuple[str, str, Decimal]] = []
    seen: dict[tuple[str, str], str] = {}
    for number, row in enumerate(rows, start=1):
        where = f"Row {row.get('row') or number}"  # a page numbers its rows as it shows them
        source = str(row.get("source") or "").strip().lower()
        country = str(row.get("country") or "").strip().upper()
        try:
            if source not in Source.values:
                raise ValidationError(
                    f"{where}: '{row.get('source') or ''}' is not a source; choose one of "
                    + ", ".join(Source.values)
                    + "."
                )
            if source == Source.IMPORTED:
                if not country:
                    raise ValidationError(f"{where}: an import names its country (e.g. CN).")
                if country not in ISO_COUNTRY_CODES:
                    raise ValidationError(
                        f"{where}: '{country}' is not an ISO 3166 alpha-2 country code."
                    )
                if country == "IN":
                    raise ValidationError(
                        f"{where}: oxide from India is IREL or other domestic, not imported."
                    )
            elif country:
                raise ValidationError(
                    f"{where}: only an import names a country; leave it blank for "
                    f"{Source(source).label}."
                )
            tonnes = _tonnes(row.get("tonnes"), where)
            key = (source, country)
            if key in seen:
                what = f"imported from {country}" if country else Source(source).label
                raise ValidationError(
                    f"{where}: {what} is declared twice ({seen[key].lower()} too); one row each."
                )
            seen[key] = where
            found.append((source, country, tonnes))
        except ValidationError as refused:
            errors.extend(refused.messages)
    if errors:
        raise ValidationError(errors)
    return found


def declaration_of(claim: Claim) -> list[dict[str, Any]]:
    return [
        {"source": row.source, "country": row.country, "tonnes": row.tonnes}
        for row in FeedstockDeclaration.objects.filter(claim=claim).order_by(
            "source", "country", "id"
        )
    ]


def declare_feedstock(
    *,
    actor: User,
    claim: Claim,
    rows: Iterable[Mapping[str, Any]],
    now: dt.datetime | None = None,
) -> list[FeedstockDeclaration]:
    """The firm declares its claim's oxide by source; the whole declaration replaces the last one.

    Only the award's own firm, and only while the claim is a draft or returned to it: once
    submitted, the declaration is frozen with the lines. All or nothing: one bad row refuses
    the lot and changes nothing.
    """
    now = clock.now(now)
    require_beneficiary(actor, claim.award, "declare its sales claims' feedstock")
    found = checked_rows(rows)
    return _replace(actor=actor, claim_id=claim.pk, found=found, now=now)


@transaction.atomic
def _replace(
    *, actor: User, claim_id: int, found: list[tuple[str, str, Decimal]], now: dt.datetime
) -> list[FeedstockDeclaration]:
    claim = Claim.objects.select_for_update(of=("self",)).select_related("award").get(pk=claim_id)
    if claim.status not in Claim.OPEN_FOR_UPLOAD:
        raise ValidationError(
            f"{label_of(claim)} is {claim.get_status_display().lower()}; its feedstock is "
            "declared only while it is a draft or returned for correction."
        )
    old = declaration_of(claim)
    FeedstockDeclaration.objects.filter(claim=claim).delete()
    created = FeedstockDeclaration.objects.bulk_create(
        FeedstockDeclaration(
            claim=claim, source=source, country=country, tonnes=tonnes,
            declared_by=actor, declared_at=now,
        )
        for source, country, tonnes in found
    )  # fmt: skip
    new = declaration_of(claim)
    audit.record(
        actor=actor,
        action="claim.feedstock_declared",
        obj=claim,
        old={"rows": old} if old else None,
        new={"rows": new, "total_tonnes": sum((r["tonnes"] for r in new), Decimal(0)), "at": now},
    )
    Claim.objects.filter(pk=claim.pk).update(updated_at=now)
    return created


__all__ = ["MAX_ROWS", "checked_rows", "declaration_of", "declare_feedstock"]
