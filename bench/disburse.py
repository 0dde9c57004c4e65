"""The SLI money over a whole scheme: every figure computed against a bare GROUP BY of its lines, one letter against its rendering.

    .venv/bin/python -m bench.disburse                          # 5M lines (make bench-disburse)
    .venv/bin/python -m bench.disburse --lines-per-claim 5000   # a smaller scheme, to try it out

Builds, in a database of its own (test_<name>_disburse, dropped and made afresh each run, on the
configured PostgreSQL: embedded unless DATABASE_URL), a scheme of 5 awards with commissioned
plants and 20 quarter claims each (5 SLI years), every claim's invoice lines (50,000 a claim,
200,000 an award-year, 5,000,000 in all) generated with numpy and written by PostgreSQL COPY
(`incentives.claims.storing`) beside its claim and upload, whose stored totals are the sums of
its lines. Every claim is sanctioned in the ledger but the last quarter of each award, which is
approved and waiting for its letter. Then it times, in this one process:

  letter   `sanctions.issue` for one approved claim (numbers the letter, posts the ledger entry,
           stores the figure, renders and stores the PDF), beside WeasyPrint rendering the same
           letter's template alone (`repm_portal.pdf.render_pdf` with `letter_context`);
  compute  every quarter (`quarter.compute`, what the issuing worker computes under the lock:
           inputs from the database and the engine) and every award-year's true-up
           (`true_up.figure_for`, computing without sanctioning), beside a bare SQL GROUP BY of
           all the lines by claim; and the same figures replayed from the lines (each claim's
           lines summed in SQL, then the engine; a true-up from its quarters' sums, or re-reading
           its year's lines).

The letters are issued first, so the figures are computed over the whole scheme, sanctioned;
issues and renderings alternate after a warm-up letter. Medians of several runs. Prints
figures; never passes or fails.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import hashlib
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import numpy as np

SUFFIX = "_disburse"
AWARDS = 5
SLI_YEARS = 5
QUARTERS = 4 * SLI_YEARS
DEFAULT_LINES = 50_000
SEED = 7280
RUNS = 3  # timed runs of each compute variant
RENDERS = 3  # renderings of each letter alone
# The awards' quoted rates (Rs/kg) and capacities (MTPA): 6,000 MTPA in all, as tendered.
RATES = ("2150.00", "1985.50", "2090.00", "2240.00", "2035.25")
CAPACITY_MTPA = 1200
GESTATION_ENDS_ON = dt.date(2028, 3, 31)  # commissioned the next day: 20 whole quarters
GRADES = ("N42SH", "N45UH", "N48H", "N38EH", "N52")
EXPORT_COUNTRIES = ("JP", "DE", "US", "KR")
# The bare aggregate the compute figures are set against, on the claim-line table.
GROUP_BY = "SELECT claim_id, SUM(quantity_kg), SUM(net_sales_value) FROM {table} GROUP BY claim_id"


def _django() -> None:
    """Django on a fresh, migrated bench database (and a media folder of this run's own)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "repm_portal.settings.test")
    os.environ["REPM_TEST_DB_SUFFIX"] = SUFFIX
    os.environ["MEDIA_ROOT"] = tempfile.mkdtemp(prefix="disburse-bench-media-")
    import django

    django.setup()
    from django.db import connection

    name = connection.creation._get_test_db_name()
    with connection.creation._nodb_cursor() as cursor:  # dropped first: a fresh scheme each run
        cursor.execute(f"DROP DATABASE IF EXISTS {connection.ops.quote_name(name)}")
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)


def _quiet_jobs() -> None:
    """Nothing is sent to a broker: the bench runs the work itself, as the worker would."""
    from repm_portal import jobs

    def send(task: str, target: str, *, countdown: float | None = None) -> None:
        return None

    jobs.send = send


# --- the scheme --------------------------------------------------------------------------------


def _awards() -> list[Any]:
    from incentives.gestation.models import Plant
    from tests.awards import make_award

    awards = []
    for rate in RATES:
        award = make_award(quoted_rate=Decimal(rate), allocated_mtpa=CAPACITY_MTPA)
        Plant.objects.create(
            award=award, name="Pune-1", gestation_starts_on=award.awarded_at.date(),
            gestation_ends_on=GESTATION_ENDS_ON,
            commissioned_on=GESTATION_ENDS_ON + dt.timedelta(days=1),
            commissioned_mtpa=award.allocated_mtpa, created_at=award.awarded_at,
        )  # fmt: skip
        awards.append(award)
    return awards


def _lines(rng: np.random.Generator, *, count: int, period, prefix: str, scale: float):
    """A claim's clean lines, as ingestion hands them to `storing.copy_lines`: one numpy draw per column.

    About 1 % credit notes (negative kg and value), 10 % export sales, 3 % related-party;
    `scale` moves the quarter's mean kg a line, so some quarters pass the capacity cap.
    """
    import pandas as pd

    from tests.factories import gstin_for, pan_for

    serial = np.char.zfill(np.arange(1, count + 1).astype("U7"), 7)
    credit = rng.random(count) < 0.01
    export = ~credit & (rng.random(count) < 0.10)
    grams = rng.integers(1_000, 9_000, count) * scale
    price_paise = rng.integers(400_000, 700_000, count)  # Rs 4,000-7,000 a kg
    grams = np.maximum(1, grams.astype(np.int64))
    paise = np.maximum(1, grams * price_paise // 1000)
    sign = np.where(credit, -1, 1)
    days = (period.ends_on - period.starts_on).days + 1
    dates = np.datetime64(period.starts_on) + rng.integers(0, days, count).astype("timedelta64[D]")
    buyers = np.array([gstin_for(pan_for(5000 + n)) for n in range(8)], dtype=object)
    buyer = rng.integers(0, len(buyers), count)
    names = np.array([f"Buyer {n} Motors Ltd" for n in range(len(buyers))], dtype=object)
    country = np.array(EXPORT_COUNTRIES, dtype=object)[
        rng.integers(0, len(EXPORT_COUNTRIES), count)
    ]
    return pd.DataFrame(
        {
            "row": np.arange(2, count + 2, dtype=np.int64),  # header = row 1
            "invoice_number": pd.Series(
                np.char.add(np.where(credit, f"CN/{prefix}/", f"INV/{prefix}/"), serial),
                dtype=object,
            ),
            "invoice_date": pd.to_datetime(dates),
            "buyer_name": np.where(export, "Overseas Motor Co", names[buyer]),
            "buyer_gstin": np.where(export, "", buyers[buyer]),
            "export_country": np.where(export, country, ""),
            "is_export": export,
            "hsn_code": "85051110",
            "magnet_grade": np.array(GRADES, dtype=object)[rng.integers(0, len(GRADES), count)],
            "quantity_g": sign * grams,
            "net_sales_value_paise": sign * paise,
            "credit_note_ref": np.where(credit, np.char.add(f"INV/{prefix}/", serial), ""),
            "is_credit_note": credit,
            "related_party": rng.random(count) < 0.03,
            "unit_value_outlier": np.zeros(count, dtype=bool),
            "plant": "Pune-1",
        }
    )


def _claim(award, period, lines, *, status: str, user, verifier, approver, now: dt.datetime):
    """The claim and its accepted upload, with totals summed from the lines, the lines by COPY."""
    from django.db import connection, transaction

    from incentives.claims import storing
    from incentives.claims.models import Claim, ClaimDocument, ClaimUpload
    from incentives.claims.selectors import rule_set_for

    rule_set = rule_set_for(period, award=award)
    kg = Decimal(int(lines["quantity_g"].sum())) / 1000
    value = Decimal(int(lines["net_sales_value_paise"].sum())) / 100
    name = f"bench-{award.pk}-{period.starts_on:%Y-%m-%d}.csv"
    with transaction.atomic():
        upload = ClaimUpload.objects.create(
            award=award, period_start=period.starts_on, file=f"claims/uploads/bench/{name}",
            original_name=name, size=len(lines) * 120,
            sha256=hashlib.sha256(name.encode()).hexdigest(), uploaded_by=user, uploaded_at=now,
        )  # fmt: skip
        claim = Claim.objects.create(
            award=award, period_start=period.starts_on, period_end=period.ends_on,
            quarter_label=period.label, is_early=period.is_early,
            window_closes_on=period.window_closes_on(rule_set.claim_window_days),
            rule_set=rule_set, current_upload=upload, line_count=len(lines),
            eligible_kg=kg, net_sales_value=value, created_at=now, updated_at=now,
        )  # fmt: skip
        certificate = ClaimDocument.objects.create(
            claim=claim, kind=ClaimDocument.Kind.CA_CERTIFICATE,
            file=f"claims/certificates/bench/{name}.pdf", original_name=f"{name}.pdf",
            content_type="application/pdf", size=1000,
            sha256=hashlib.sha256(f"certificate {name}".encode()).hexdigest(),
            uploaded_by=user, uploaded_at=now,
        )  # fmt: skip
        # Generated as it would stand after the workflow (submitted, verified by one person,
        # approved by another), not moved through it: the workflow has tests of its own.
        Claim.objects.filter(pk=claim.pk).update(
            status=status, certificate=certificate, declared_by=user, declared_at=now,
            submitted_by=user, submitted_at=now, verified_by=verifier, verified_at=now,
            approved_by=approver, approved_at=now,
        )  # fmt: skip
        claim.refresh_from_db()
        with connection.cursor() as cursor:
            storing.copy_lines(cursor, lines, claim_id=claim.pk, award_id=award.pk)
        # Written as generated data, not moved: the upload is created with its claim accepted.
        ClaimUpload.objects.filter(pk=upload.pk).update(
            status=ClaimUpload.Status.ACCEPTED, claim=claim, line_count=len(lines),
            eligible_kg=kg, net_sales_value=value, finished_at=now,
        )  # fmt: skip
    return claim


def _sanction_in_ledger(claim, *, now: dt.datetime) -> None:
    """Post the claim's release as the issuing job would, without its letter (for the scheme's history)."""
    from django.db import transaction

    from incentives import ledger
    from incentives.models import EntryKind, Pool
    from incentives.sli import figures, selectors
    from incentives.sli.models import QUARTER_CLAIM_TYPE

    with transaction.atomic():
        ledger.lock_pool(Pool.SLI)
        figure = figures.figure_of(selectors.period_input(claim))
        if figure.release > 0:
            ledger.post(
                kind=EntryKind.SANCTION, pool=Pool.SLI, award=claim.award, amount=figure.release,
                source_key=f"sanction:{QUARTER_CLAIM_TYPE}:{claim.pk}", rule_set=claim.rule_set,
                document_ref=f"Bench sanction of claim {claim.pk}",
                narration=f"Sales-linked incentive for {claim.quarter_label}", now=now,
                claim_type=QUARTER_CLAIM_TYPE, claim_id=claim.pk,
                award_cap=selectors.award_cap(claim.award, claim.rule_set),
            )  # fmt: skip


def build(lines_per_claim: int, seed: int) -> dict[str, Any]:
    """The whole scheme; returns the claims, the awards and the sanction requests waiting."""
    from django.db import transaction

    from beneficiaries.models import User
    from incentives import sanctions
    from incentives.claims.models import Claim
    from incentives.claims.selectors import periods_of
    from incentives.sli.models import QUARTER_CLAIM_TYPE
    from repm_portal.demo_clock import IST
    from repm_portal.roles import Role
    from tests.factories import UserFactory

    rng = np.random.default_rng(seed)
    approver = UserFactory(role=Role.APPROVER, username="bench_approver")
    verifier = UserFactory(role=Role.VERIFIER, username="bench_verifier")
    awards = _awards()
    claims: list[Claim] = []
    waiting = []
    started = time.perf_counter()
    for award in awards:
        user = User.objects.filter(firm=award.bid.firm).first()
        periods = periods_of(award)
        if len(periods) != QUARTERS:
            raise RuntimeError(f"{award} has {len(periods)} claim periods, not {QUARTERS}")
        for n, period in enumerate(periods):
            now = dt.datetime.combine(period.ends_on + dt.timedelta(days=10), dt.time(11), IST)
            lines = _lines(
                rng, count=lines_per_claim, period=period, prefix=f"{award.pk}/{n:02d}",
                scale=float(rng.uniform(0.6, 1.4)),
            )  # fmt: skip
            last = n == len(periods) - 1
            status = Claim.Status.APPROVED if last else Claim.Status.SANCTIONED
            claims.append(
                _claim(
                    award,
                    period,
                    lines,
                    status=status,
                    user=user,
                    verifier=verifier,
                    approver=approver,
                    now=now,
                )
            )
    lines_s = time.perf_counter() - started
    # The ledger's history in the order the quarters came in: each award's last one is left
    # approved, its sanction asked for, to be issued by the letter bench.
    for claim in sorted(claims, key=lambda c: (c.period_end, c.award_id)):
        if claim.status == Claim.Status.SANCTIONED:
            _sanction_in_ledger(
                claim, now=dt.datetime.combine(claim.window_closes_on, dt.time(11), IST)
            )
        else:
            with transaction.atomic():
                waiting.append(
                    sanctions.request_sanction(
                        claim_type=QUARTER_CLAIM_TYPE, claim_id=claim.pk, actor=approver
                    )
                )
    return {
        "awards": awards, "claims": claims, "waiting": waiting, "lines_s": lines_s,
        "ledger_s": time.perf_counter() - started - lines_s,
    }  # fmt: skip


# --- timing ------------------------------------------------------------------------------------


def _timed(function: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = function()
    return time.perf_counter() - started, result


def _median(function: Callable[[], Any], runs: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(runs):
        elapsed, result = _timed(function)
        times.append(elapsed)
    return statistics.median(times), result


def bench_letters(waiting) -> dict[str, Any]:
    """Issue each waiting request through the pipeline, each followed by its letter rendered alone.

    The first letter of the process (WeasyPrint loading its fonts) and a few renderings of it
    warm up first and are left out; then issues and renderings alternate, so both see the same
    warm process.
    """
    from incentives import sanctions
    from repm_portal.pdf import render_pdf

    template = "incentives/pdf/sanction_letter.html"

    def rendered(letter) -> float:
        return _median(lambda: render_pdf(template, sanctions.letter_context(letter)), RENDERS)[0]

    first_s, first = _timed(lambda: sanctions.issue(waiting[0].pk))
    rendered(first)
    issues, renders = [], []
    for request in waiting[1:]:
        elapsed, letter = _timed(lambda request=request: sanctions.issue(request.pk))
        issues.append(elapsed)
        renders.append(rendered(letter))
    return {
        "first_issue": first_s,
        "issue": statistics.median(issues),
        "issues": len(issues),
        "render": statistics.median(renders),
        "renders": len(renders) * RENDERS,
    }


def _group_by() -> list[tuple[int, Decimal, Decimal]]:
    from django.db import connection

    from incentives.claims.models import ClaimLine

    with connection.cursor() as cursor:
        cursor.execute(GROUP_BY.format(table=ClaimLine._meta.db_table))
        return cursor.fetchall()


def _years(awards) -> list[tuple[Any, str]]:
    from incentives.sli import selectors
    from repm_portal.fiscal import FinancialYear

    first = FinancialYear.for_date(GESTATION_ENDS_ON + dt.timedelta(days=1))
    return [
        (award, selectors.year_label(FinancialYear(first.start_year + n)))
        for award in awards
        for n in range(SLI_YEARS)
    ]


def _compute_all(claims, years) -> list[Decimal]:
    """What the workers compute: each quarter as its issuing job does, each true-up without sanctioning."""
    from incentives.sli import quarter, true_up
    from incentives.sli.models import TrueUp

    releases = [quarter.compute(str(claim.pk)).amount for claim in claims]
    for award, label in years:
        # An unsaved true-up: figure_for reads only its award and year (no row is written).
        figure, _ = true_up.figure_for(TrueUp(award=award, financial_year=label))
        releases.append(figure.release)
    return releases


def _sums(cursor, claim_ids: list[int]) -> tuple[Decimal, Decimal]:
    from incentives.claims.models import ClaimLine

    cursor.execute(
        f"SELECT COALESCE(SUM(quantity_kg), 0), COALESCE(SUM(net_sales_value), 0) "  # noqa: S608 - a model's table
        f"FROM {ClaimLine._meta.db_table} WHERE claim_id = ANY(%s)",
        [claim_ids],
    )
    return cursor.fetchone()


def _compute_from_lines(claims, years, *, reread_years: bool) -> tuple[list[Decimal], float, float]:
    """The same figures replayed from the invoice lines: each claim's lines summed in SQL, then the engine.

    A true-up's year totals are its quarters' line sums added up (exact decimals, the same
    lines); with `reread_years` each true-up sums its year's lines in SQL again instead.
    Returns the releases and the seconds taken by the quarters and by the true-ups.
    """
    from django.db import connection

    from incentives.sli import figures, selectors
    from repm_portal.money import to_money

    started = time.perf_counter()
    releases = []
    sums: dict[int, tuple[Decimal, Decimal]] = {}
    with connection.cursor() as cursor:
        for claim in claims:
            kg, value = sums[claim.pk] = _sums(cursor, [claim.pk])
            period = dataclasses.replace(
                selectors.period_input(claim), eligible_kg=kg, net_sales_value=to_money(value)
            )
            releases.append(figures.figure_of(period).release)
        quarters_s = time.perf_counter() - started
        for award, label in years:
            scope = selectors.true_up_scope(award, selectors.financial_year(label))
            ids = [claim.pk for claim in scope.claims]
            if reread_years:
                kg, value = _sums(cursor, ids)
            else:
                kg = sum((sums[pk][0] for pk in ids), start=Decimal("0.000"))
                value = sum((sums[pk][1] for pk in ids), start=Decimal("0.00"))
            period = dataclasses.replace(
                selectors.true_up_input(scope), eligible_kg=kg, net_sales_value=to_money(value)
            )
            releases.append(figures.figure_of(period).release)
    return releases, quarters_s, time.perf_counter() - started - quarters_s


def bench_compute(claims, awards) -> dict[str, Any]:
    from incentives.claims.models import Claim

    claims = list(
        Claim.objects.filter(pk__in=[c.pk for c in claims])
        .select_related("award__plant", "rule_set")
        .order_by("period_end", "award_id")
    )
    years = _years(awards)
    _group_by()  # warm: every variant reads the lines from shared buffers alike
    group_s, grouped = _median(_group_by, RUNS)
    compute_s, computed = _median(lambda: _compute_all(claims, years), RUNS)
    runs = [_compute_from_lines(claims, years, reread_years=False) for _ in range(RUNS)]
    reruns = [_compute_from_lines(claims, years, reread_years=True) for _ in range(RUNS)]
    by_claim = {claim_id: (kg, value) for claim_id, kg, value in grouped}
    consistent = sum(
        1
        for claim in claims
        if by_claim.get(claim.pk) == (claim.eligible_kg, claim.net_sales_value)
    )
    return {
        "quarters": len(claims),
        "true_ups": len(years),
        "lines": sum(claim.line_count for claim in claims),
        "group_by": group_s,
        "compute": compute_s,
        "from_lines": statistics.median(q + t for _, q, t in runs),
        "from_lines_quarters": statistics.median(q for _, q, _ in runs),
        "from_lines_true_ups": statistics.median(t for _, _, t in runs),
        "rereading": statistics.median(q + t for _, q, t in reruns),
        "rereading_true_ups": statistics.median(t for _, _, t in reruns),
        "consistent": consistent,
        "same_figures": computed == runs[0][0] == reruns[0][0],
        "released": sum(computed, start=Decimal("0.00")),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines-per-claim", type=int, default=DEFAULT_LINES)
    parser.add_argument("--seed", type=int, default=SEED)
    arguments = parser.parse_args()

    began = time.perf_counter()
    _django()
    _quiet_jobs()
    from django.db import connection

    from incentives.claims.models import ClaimLine
    from repm_portal.money import format_crore

    ready = time.perf_counter()
    scheme = build(arguments.lines_per_claim, arguments.seed)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {ClaimLine._meta.db_table}")
    built = time.perf_counter()
    letters = bench_letters(scheme["waiting"])
    compute = bench_compute(scheme["claims"], scheme["awards"])

    lines = compute["lines"]
    print(
        f"Scheme: {AWARDS} awards x {QUARTERS} quarter claims x {arguments.lines_per_claim:,} lines "
        f"= {lines:,} invoice lines (seed {arguments.seed}); database {ready - began:.1f} s, "
        f"lines generated and stored by COPY in {scheme['lines_s']:.1f} s "
        f"({lines / scheme['lines_s']:,.0f} lines/s), {len(scheme['claims']) - AWARDS} quarters "
        f"sanctioned in the ledger in {scheme['ledger_s']:.1f} s; {built - ready:.1f} s in all"
    )
    print(
        f"Claims whose stored totals are the sums of their lines: "
        f"{compute['consistent']}/{compute['quarters']}; quarters and true-ups computed the same "
        f"from the lines: {'yes' if compute['same_figures'] else 'NO'}"
    )
    print()
    group = compute["group_by"]
    rows = [
        ("compute", f"{compute['quarters']} quarters + {compute['true_ups']} true-ups, as the workers do",
         compute["compute"], group, "bare GROUP BY of the lines", 3.0),
        ("compute", f"from the lines: per claim SUM + engine ({compute['from_lines_quarters']:.2f} s"
         f" quarters + {compute['from_lines_true_ups']:.2f} s true-ups)", compute["from_lines"],
         group, "bare GROUP BY of the lines", 3.0),
        ("compute", f"  the same, each true-up re-reading its year's lines ("
         f"{compute['rereading_true_ups']:.2f} s true-ups)", compute["rereading"], group,
         "bare GROUP BY of the lines", 3.0),
        ("letter", f"sanctions.issue, one letter (median of {letters['issues']})",
         letters["issue"], letters["render"], f"render_pdf alone (median of {letters['renders']})",
         1.5),
    ]  # fmt: skip
    print(f"{'':8} {'what':<78} {'s':>8} {'against':>8}  {'ratio':>6} {'goal':>6}")
    for name, what, took, against, _, goal in rows:
        print(
            f"{name:8} {what:<78} {took:>8.3f} {against:>8.3f}  {took / against:>6.2f} {'<= ' + str(goal):>6}"
        )
    print()
    print(
        f"against: compute rows, `{GROUP_BY.format(table=ClaimLine._meta.db_table)}` over all "
        f"{lines:,} lines; letter row, "
        "WeasyPrint rendering the same letters' template alone. Medians of "
        f"{RUNS} runs (compute). The first letter of the process took {letters['first_issue']:.3f} s "
        "(WeasyPrint and its fonts loading), left out of the median. Released by the quarters "
        f"and true-ups computed: {format_crore(compute['released'])}."
    )


if __name__ == "__main__":
    main()
