"""Builders for evidence bundle tests: a financial year (2027-28) of real sanctions, paid and part-paid,
and a bundle's members read, changed and re-packed."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from decimal import Decimal

from incentives import sanctions
from incentives import services as money_services
from incentives.capital import services as capital_services
from incentives.claims import services as claim_services
from incentives.claims.models import Claim
from incentives.evidence import layout, services
from incentives.models import SanctionLetter, SanctionRequest
from repm_portal.roles import Role
from tests.capital.ledgers import certificate as capital_certificate
from tests.capital.ledgers import firm_user, ledger_csv, line
from tests.claims.sales import IST, sales_award
from tests.factories import AwardFactory
from tests.sli.money import Q1, Q2, after, penalty, quarter_claim, sanction, walk

YEAR = "2027-28"
PENALTY = Decimal("100000.00")
PRODUCED = dt.datetime(2028, 4, 20, 10, 0, tzinfo=IST)


def _capital_letter(users) -> SanctionLetter:
    """A capital subsidy letter of Rs 75 crore (the 600 MTPA slab cap) dated in FY 2027-28."""
    award = AwardFactory(commissioned=True)
    moment = dt.datetime(2027, 9, 1, 11, 0, tzinfo=IST)
    claim = capital_services.upload_ledger(
        actor=firm_user(award), award=award, now=moment,
        ledger_file=ledger_csv([line("400"), line("200")]), certificate_file=capital_certificate(),
    )  # fmt: skip
    capital_services.submit_claim(actor=firm_user(award), claim=claim, now=moment)
    capital_services.verify_claim(
        actor=users[Role.VERIFIER], claim=claim, exclusions={}, now=moment
    )
    capital_services.approve_claim(actor=users[Role.APPROVER], claim=claim, now=moment)
    request = SanctionRequest.objects.get(key=f"capital_subsidy:{claim.pk}")
    return sanctions.issue(request.pk, now=moment + dt.timedelta(hours=1))


def seed_year(users) -> dict:
    """FY 2027-28: two SLI quarter letters (the first netting a penalty, one line excluded by the
    verifier, paid in full; the second paid in part) and a capital subsidy letter, unpaid."""
    award = sales_award()
    penalty(award, PENALTY, now=after(Q1[0], 0))
    first = quarter_claim(award, Q1)
    walk(first, Claim.Status.UNDER_VERIFICATION, now=after(Q1[1], 15))
    claim_services.adjust_line(
        actor=users[Role.VERIFIER], claim=first, row=3, kind="exclude",
        reason="Invoice dated before commissioning", now=after(Q1[1], 16),
    )  # fmt: skip
    letter_one = sanction(first, users[Role.APPROVER], now=after(Q1[1], 20), render=True)
    money_services.record_payment(
        actor=users[Role.OFFICIAL], letter=letter_one, amount=letter_one.payable,
        paid_on=dt.date(2027, 8, 5), utr="SBIN027217000001", now=after(Q1[1], 36),
    )  # fmt: skip
    second = quarter_claim(award, Q2)
    letter_two = sanction(second, users[Role.APPROVER], now=after(Q2[1], 20), render=True)
    money_services.record_payment(
        actor=users[Role.OFFICIAL], letter=letter_two, amount=Decimal("100000.00"),
        paid_on=dt.date(2027, 11, 2), utr="SBIN027306000002", now=after(Q2[1], 33),
    )  # fmt: skip
    capital = _capital_letter(users)
    return {"sli": [letter_one, letter_two], "capital": capital, "award": award}


def build(users) -> bytes:
    """The bundle of FY 2027-28 as the auditor would get it, built at once."""
    data, _ = services.bundle_bytes(
        financial_year=YEAR, pool="", produced_by=users[Role.AUDITOR], now=PRODUCED
    )
    return data


def members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def rewrite(data: bytes, path: str, change, *, rehash: bool = True) -> bytes:
    """The bundle with one member changed by `change(bytes) -> bytes`; the manifest re-hashed to
    match (a careful tamperer), or left as it was (`rehash=False`)."""
    files = members(data)
    manifest = json.loads(files.pop(layout.MANIFEST))
    files[path] = change(files[path])
    if not rehash:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr(layout.MANIFEST, json.dumps(manifest))
            for name, content in files.items():
                archive.writestr(name, content)
        return buffer.getvalue()
    manifest.pop("files")
    return services.pack(files=files, manifest=manifest, moment=PRODUCED)


def edit_json(path_change):
    """A `change` for rewrite(): load the JSON, let `path_change(value)` edit it, dump it again."""

    def change(content: bytes) -> bytes:
        value = json.loads(content)
        path_change(value)
        return json.dumps(value, indent=2).encode()

    return change
