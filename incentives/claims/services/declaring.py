"""The firm declares the NdPr oxide its claim period used, by source: checked whole, replaced whole, audited."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext

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
        raise ValidationError(
            gettext("%(where)s: give the tonnes of oxide (0 if none).") % {"where": where}
        )
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValidationError(
            gettext("%(where)s: '%(value)s' is not a number of tonnes.")
            % {"where": where, "value": value}
        ) from None
    if not amount.is_finite():
        raise ValidationError(
            gettext("%(where)s: '%(value)s' is not a number of tonnes.")
            % {"where": where, "value": value}
        )
    if amount < 0:
        raise ValidationError(
            gettext("%(where)s: %(amount)s t is negative; oxide used is 0 or more.")
            % {"where": where, "amount": amount}
        )
    if amount != amount.quantize(TONNE):
        raise ValidationError(
            gettext("%(where)s: %(amount)s t has more than %(places)s decimals (kg).")
            % {"where": where, "amount": amount, "places": PLACES}
        )
    if amount >= LIMIT:
        raise ValidationError(
            gettext("%(where)s: %(amount)s t is too large.") % {"where": where, "amount": amount}
        )
    return amount.quantize(TONNE)


def checked_rows(rows: Iterable[Mapping[str, Any]]) -> list[tuple[str, str, Decimal]]:
    """The rows as (source, country, tonnes), or one ValidationError naming every bad row.

    Rows are numbered from 1 as given. A source is one of irel, domestic, imported, recycled;
    an import names its country (ISO 3166 alpha-2, not IN), other sources none; a source (an
    import: a country) appears once.
    """
    rows = list(rows)
    if not rows:
        raise ValidationError(gettext("Declare the oxide used in the period: at least one source."))
    if len(rows) > MAX_ROWS:
        raise ValidationError(
            gettext("%(rows)s rows: a declaration has at most %(max)s.")
            % {"rows": len(rows), "max": MAX_ROWS}
        )
    errors: list[str] = []
    found: list[tuple[str, str, Decimal]] = []
    seen: dict[tuple[str, str], str] = {}
    for number, row in enumerate(rows, start=1):
        where = gettext("Row %(row)s") % {
            "row": row.get("row") or number
        }  # a page numbers its rows as it shows them
        source = str(row.get("source") or "").strip().lower()
        country = str(row.get("country") or "").strip().upper()
        try:
            if source not in Source.values:
                raise ValidationError(
                    gettext("%(where)s: '%(source)s' is not a source; choose one of %(sources)s.")
                    % {
                        "where": where,
                        "source": row.get("source") or "",
                        "sources": ", ".join(Source.values),
                    }
                )
            if source == Source.IMPORTED:
                if not country:
                    raise ValidationError(
                        gettext("%(where)s: an import names its country (e.g. CN).")
                        % {"where": where}
                    )
                if country not in ISO_COUNTRY_CODES:
                    raise ValidationError(
                        gettext("%(where)s: '%(country)s' is not an ISO 3166 alpha-2 country code.")
                        % {"where": where, "country": country}
                    )
                if country == "IN":
                    raise ValidationError(
                        gettext(
                            "%(where)s: oxide from India is IREL or other domestic, not imported."
                        )
                        % {"where": where}
                    )
            elif country:
                raise ValidationError(
                    gettext(
                        "%(where)s: only an import names a country; leave it blank for %(source)s."
                    )
                    % {"where": where, "source": gettext(Source(source).label)}
                )
            tonnes = _tonnes(row.get("tonnes"), where)
            key = (source, country)
            if key in seen:
                what = (
                    gettext("imported from %(country)s") % {"country": country}
                    if country
                    else gettext(Source(source).label)
                )
                raise ValidationError(
                    gettext("%(where)s: %(what)s is declared twice (%(other)s too); one row each.")
                    % {"where": where, "what": what, "other": seen[key].lower()}
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
            gettext(
                "%(claim)s is %(status)s; its feedstock is declared only while it is a draft or "
                "returned for correction."
            )
            % {"claim": label_of(claim), "status": gettext(claim.get_status_display()).lower()}
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
