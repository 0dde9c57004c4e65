"""A 100,000-letter register streams: the CSV is read in chunks, never held whole in memory.

The letters are written with bulk SQL (one statement each for requests, letters, payments' ledger
entries and payments), through the tables' own checks and the ledger's insert trigger (every
other letter is paid in full, which the trigger checks against the letter's amount). No sanction
entries are posted for them: the pool trigger re-sums the pool on every insert, which is right
for real sanctions and quadratic for a hundred thousand at once.
"""

from __future__ import annotations

import csv
import datetime as dt
import time
import tracemalloc
from decimal import Decimal
from itertools import islice

import pytest
from django.db import connection

from incentives import ledger
from incentives.models import EntryKind, LetterSeries, Payment, SanctionLetter
from incentives.oversight import sheets
from tests.factories import AwardFactory

pytestmark = pytest.mark.django_db
N = 100_000
BATCH = 10_000
NOW = dt.datetime(2030, 6, 1, 12, 0, tzinfo=dt.UTC)


def _bulk_register(award, rule_set, user) -> None:
    series = LetterSeries.objects.create(prefix="REPM/BULK", financial_year="2030-31")
    values = {
        "n": N, "user": user.pk, "now": NOW, "dated": NOW.date(), "series": series.pk,
        "award": award.pk, "rs": rule_set.pk,
    }  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(
            """INSERT INTO incentives_sanctionrequest (key, claim_type, claim_id, status, reason,
                   requested_by_id, requested_at, refusal, completed_at)
               SELECT 'bulk:' || g, 'bulk', g::text, 'sanctioned', '', %(user)s, %(now)s, '', %(now)s
                 FROM generate_series(1, %(n)s) AS g""",
            values,
        )
        cursor.execute(
            """INSERT INTO incentives_sanctionletter (status, file, sha256, size, rendered_at,
                   request_id, series_id, serial, number, financial_year, dated, claim_type,
                   claim_id, award_id, pool, rule_set_id, amount, deducted, reverses_id, content,
                   signatory_id, created_at, verify_token)
               SELECT 'issued', 'incentives/letters/bulk.pdf', repeat('a', 64), 1, %(now)s, r.id,
                      %(series)s, r.claim_id::int, 'REPM/BULK/2030-31/' || lpad(r.claim_id, 6, '0'),
                      '2030-31', %(dated)s, 'bulk', r.claim_id, %(award)s, 'sli', %(rs)s,
                      1000.00 + (r.claim_id::int %% 97), 0, NULL, '{}'::jsonb, %(user)s, %(now)s,
                      'bulk-' || r.claim_id
                 FROM incentives_sanctionrequest r WHERE r.claim_type = 'bulk'""",
            values,
        )
        # In batches, with fresh statistics between them: the trigger's plan for summing a
        # letter's payments is made while the table is empty, and would scan it on every row.
        for first in range(1, N + 1, BATCH):
            cursor.execute(
                """INSERT INTO incentives_ledgerentry (kind, account, pool, award_id, amount,
                       claim_type, claim_id, rule_set_id, letter_id, document_ref, source_key,
                       narration, posted_at, posted_by_id)
                   SELECT 'payment', 'payment', 'sli', l.award_id, l.amount, 'bulk', l.claim_id,
                          l.rule_set_id, l.id, 'bulk payment', 'bulk-pay:' || l.id, 'bulk payment',
                          %(now)s, %(user)s
                     FROM incentives_sanctionletter l
                    WHERE l.claim_type = 'bulk' AND l.serial %% 2 = 0
                      AND l.serial BETWEEN %(first)s AND %(last)s""",
                values | {"first": first, "last": first + BATCH - 1},
            )
            cursor.execute("ANALYZE incentives_ledgerentry")
        cursor.execute(
            """INSERT INTO incentives_payment (letter_id, entry_id, amount, paid_on, utr, remarks,
                   recorded_by_id, recorded_at)
               SELECT e.letter_id, e.id, e.amount, %(dated)s, 'BULK' || lpad(e.letter_id::text, 14, '0'),
                      '', %(user)s, %(now)s
                 FROM incentives_ledgerentry e WHERE e.source_key LIKE 'bulk-pay:%%'""",
            values,
        )
        # As autovacuum would once these rows are committed: the register's per-letter subqueries
        # are planned on these statistics (an unanalysed table looks empty, and is scanned whole).
        for table in ("sanctionrequest", "sanctionletter", "ledgerentry", "payment"):
            cursor.execute(f"ANALYZE incentives_{table}")
    LetterSeries.objects.filter(pk=series.pk).update(last_serial=N)


def test_a_100k_register_streams_without_holding_it_in_memory(client, users, rules):
    award = AwardFactory()
    started = time.monotonic()
    _bulk_register(award, rules, users["official"])
    built = time.monotonic() - started
    assert SanctionLetter.objects.count() == N and Payment.objects.count() == N // 2

    # what a list of rows would hold, measured on the first 10,000 and scaled
    sheet = sheets.build("register", users["auditor"], {}, dt.date(2030, 7, 1))
    tracemalloc.start()
    first = list(islice(sheet.rows(), 10_000))
    sample_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    del first
    full_list = sample_peak * N // 10_000

    client.force_login(users["auditor"])
    started = time.monotonic()
    tracemalloc.start()
    response = client.get("/oversight/register.csv")
    assert response.streaming
    lines = rows = 0
    paid = Decimal("0.00")
    header: list[str] | None = None
    for chunk in response.streaming_content:
        lines += 1
        (cells,) = csv.reader([chunk.decode("utf-8-sig")])
        if header is None:
            header = cells if cells[:1] == ["letter_number"] else None
            continue
        rows += 1
        paid += Decimal(cells[header.index("paid")])
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    streamed = time.monotonic() - started

    assert rows == N
    assert paid == ledger.balance(EntryKind.PAYMENT) > 0
    print(
        f"\n100k register: built in {built:.1f}s, streamed in {streamed:.1f}s; "
        f"peak {peak / 2**20:.1f} MiB while streaming; a list of all rows ~{full_list / 2**20:.0f} MiB"
    )
    assert peak < 24 * 2**20
    assert peak * 5 < full_list
