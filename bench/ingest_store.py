"""The whole sales-claim path, validate and store, against a bare COPY of the same file: 100k, 300k, 1M lines.

    .venv/bin/python -m bench.ingest_store              # 100k, 300k, 1M (make bench-ingest)
    .venv/bin/python -m bench.ingest_store --sizes 50000,200000
    .venv/bin/python -m bench.ingest_store --sizes 1000000 --repeat 3   # best and median

For each size, in a fresh process (so its peak resident memory is its own):
  full path  services.process_upload, what the Celery worker runs: read the stored CSV a
             chunk at a time, check each chunk (the file-wide rules across chunks), and COPY
             it while the next is read and checked, all in one transaction (with the claim,
             the totals, the upload's report and the audit rows);
  bare COPY  the same CSV file loaded by PostgreSQL COPY (FORMAT csv) into a table with the
             same typed columns and the same two indexes (primary key, unique invoice number).
Runs against a database of its own (test_<name><REPM_TEST_DB_SUFFIX>_bench, made afresh each
run) on the configured PostgreSQL (embedded unless DATABASE_URL). Prints figures, with
--repeat the best and median of several runs; never passes or fails.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DEFAULT_SIZES = (100_000, 300_000, 1_000_000)
# The bench database is the helper's or developer's own (REPM_TEST_DB_SUFFIX), plus _bench.
SUFFIX = os.environ.get("REPM_TEST_DB_SUFFIX", "") + "_bench"
BARE_TABLE = "bench_bare_copy"
BARE_COLUMNS = (
    "invoice_number text NOT NULL, invoice_date date NOT NULL, buyer_name text NOT NULL, "
    "buyer_gstin varchar(15), export_country varchar(2), hsn_code varchar(8) NOT NULL, "
    "magnet_grade text NOT NULL, quantity_kg numeric(15,3) NOT NULL, "
    "net_sales_value numeric(18,2) NOT NULL, credit_note_ref text, related_party boolean NOT NULL, "
    "plant text NOT NULL"
)


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def _django(create: bool = False) -> None:
    """Django on the bench database; `create` drops and recreates it (migrated) first."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "repm_portal.settings.test")
    os.environ["REPM_TEST_DB_SUFFIX"] = SUFFIX
    import django

    django.setup()
    from django.db import connection

    name = connection.settings_dict["TEST"]["NAME"]
    if create:
        connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    else:
        connection.close()
        connection.settings_dict["NAME"] = name


def setup_database() -> None:
    """A fresh, migrated bench database for this run."""
    _django(create=True)


def _award(serial: int):
    """A fresh award whose plant was commissioned before Q1 FY 2027-28, the generated quarter.

    `serial` keeps the factories' unique numbers (PAN, GSTIN, usernames) apart between the
    processes of one run, each of which starts its sequences afresh.
    """
    import itertools

    from tests import awards, factories

    for factory in (factories.FirmFactory, factories.UserFactory, factories.BankAccountFactory):
        factory.reset_sequence(serial * 100)
    awards._counter = itertools.count(serial * 100)
    from incentives.gestation.models import Plant
    from repm_portal.models import RuleSet, Scheme
    from tests.awards import make_award

    if not RuleSet.objects.exists():  # the scheme migration loads it; a flushed database lacks it
        import importlib

        from repm_portal.models import CapacitySlab

        loader = importlib.import_module("repm_portal.migrations.0003_load_repm_scheme")
        loader.load_scheme(Scheme, RuleSet, CapacitySlab)
    award = make_award()
    Plant.objects.create(
        award=award, name="Pune-1", gestation_starts_on=award.awarded_at.date(),
        gestation_ends_on=dt.date(2028, 4, 15), commissioned_on=dt.date(2027, 3, 15),
        commissioned_mtpa=award.allocated_mtpa, created_at=award.awarded_at,
    )  # fmt: skip
    return award


def child_full(path: str, serial: int) -> None:
    """Receive and process one file through the services; print the figures as JSON."""
    _django()
    from django.core.files import File

    from incentives.claims import services, storing
    from incentives.claims.models import ClaimLine
    from incentives.claims.services import processing
    from repm_portal.demo_clock import IST

    baseline = _peak_mb()
    award = _award(serial)
    user = award.bid.firm.users.get()
    now = dt.datetime(2027, 7, 5, 11, 0, tzinfo=IST)
    phases: dict[str, float] = {}

    def timed(name, function):
        def wrapper(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                phases[name] = phases.get(name, 0.0) + time.perf_counter() - started

        return wrapper

    # Time the phases of the real path by wrapping what it calls (the bench's only change).
    # A CSV is read and checked a chunk at a time in a thread while COPY stores the chunk
    # before: "read" and "check" are that thread's time, "copy" the whole overlapped store.
    # A file that fails (or an XLSX) is read and checked whole: the same names, one call each.
    chunked = processing.csv_chunks

    def read_chunks(*args, **kwargs):
        chunks = chunked(*args, **kwargs)
        while True:
            started = time.perf_counter()
            try:
                chunk = next(chunks)
            except StopIteration:
                return
            finally:
                phases["read"] = phases.get("read", 0.0) + time.perf_counter() - started
            yield chunk

    processing.csv_chunks = read_chunks
    processing.StreamCheck.check = timed("check", processing.StreamCheck.check)
    storing.copy_texts = timed("copy", storing.copy_texts)
    processing.read_upload = timed("read", processing.read_upload)
    processing.validate = timed("check", processing.validate)

    started = time.perf_counter()
    with open(path, "rb") as handle:
        upload = File(handle, name=Path(path).name)
        upload.size = os.path.getsize(path)
        received = services.receive_upload(
            actor=user, award=award, period_start=dt.date(2027, 4, 1), upload=upload, now=now,
            enqueue=False,
        )  # fmt: skip
    received_at = time.perf_counter()
    done = services.process_upload(upload_id=received.upload.pk, now=now)
    finished = time.perf_counter()
    stored = ClaimLine.objects.filter(claim=done.claim).count() if done.claim_id else 0
    print(
        json.dumps(
            {
                "status": done.status,
                "message": done.message[:200],
                "lines": stored,
                "bytes": os.path.getsize(path),
                "receive_s": received_at - started,
                "full_s": finished - received_at,
                "phases": phases,
                "baseline_mb": baseline,
                "peak_mb": _peak_mb(),
            }
        )
    )


def child_bare(path: str) -> None:
    """COPY the raw CSV into an equivalent table, in one transaction; print the figures as JSON."""
    _django()
    from django.db import connection, transaction

    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {BARE_TABLE}")
        cursor.execute(f"CREATE TABLE {BARE_TABLE} (id bigserial PRIMARY KEY, {BARE_COLUMNS})")
        cursor.execute(
            f"CREATE UNIQUE INDEX {BARE_TABLE}_invoice ON {BARE_TABLE} (upper(invoice_number))"
        )
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor, open(path, "rb") as handle:
        cursor.execute("SET LOCAL DateStyle = 'ISO, DMY'")
        columns = (
            "invoice_number, invoice_date, buyer_name, buyer_gstin, export_country, hsn_code, "
            "magnet_grade, quantity_kg, net_sales_value, credit_note_ref, related_party, plant"
        )
        cursor.copy_expert(
            f"COPY {BARE_TABLE} ({columns}) FROM STDIN WITH (FORMAT csv, HEADER true)", handle
        )
    elapsed = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {BARE_TABLE}")  # noqa: S608 (a constant)
        count = cursor.fetchone()[0]
        cursor.execute(f"DROP TABLE {BARE_TABLE}")
    print(json.dumps({"lines": count, "copy_s": elapsed, "peak_mb": _peak_mb()}))


def _run(*arguments: str) -> dict:
    output = subprocess.run(
        [sys.executable, "-m", "bench.ingest_store", *arguments],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(str(n) for n in DEFAULT_SIZES))
    parser.add_argument("--setup", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--full", help=argparse.SUPPRESS)
    parser.add_argument("--bare", help=argparse.SUPPRESS)
    parser.add_argument("--repeat", type=int, default=1, help="runs of each size (best, median)")
    parser.add_argument("--serial", type=int, default=1, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.setup:
        setup_database()
        return
    if arguments.full:
        child_full(arguments.full, arguments.serial)
        return
    if arguments.bare:
        child_bare(arguments.bare)
        return

    sizes = sorted(int(size) for size in arguments.sizes.split(","))
    subprocess.run([sys.executable, "-m", "bench.ingest_store", "--setup"], check=True)
    with tempfile.TemporaryDirectory(prefix="ingest-store-bench-") as folder:
        os.environ["MEDIA_ROOT"] = str(Path(folder) / "media")
        generated = subprocess.run(
            [sys.executable, "-m", "bench.ingest_validate", "--generate", folder,
             "--sizes", arguments.sizes],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        print(generated.stdout.strip())
        print()
        print(
            f"{'lines':>10} {'file MB':>8} {'read s':>7} {'check s':>7} {'COPY s':>7} "
            f"{'full s':>7} {'bare s':>7} {'ratio':>6} {'lines/s':>9} {'base MB':>8} "
            f"{'peak MB':>8}  status"
        )
        serials = itertools.count(1)
        for size in sizes:
            path = str(Path(folder) / f"claim-{size}.csv")
            runs = [_measure(path, next(serials)) for _ in range(arguments.repeat)]
            if len(runs) > 1:
                _summary(size, runs)
        print()
        print(
            "full s = services.process_upload (read + check + total + COPY + commit), what the "
            "worker runs; read s and check s run in a thread, a chunk ahead of COPY s (which "
            "holds them); bare s = COPY of the same CSV into an equivalent table, run just "
            "before. ratio = full / bare (goal <= 2). peak MB = ru_maxrss of the full path, a "
            "fresh process per run (goal < 600)."
        )


def _measure(path: str, serial: int) -> tuple[dict, dict]:
    """One bare COPY, then the full path, of the same file; print their row."""
    bare = _run("--bare", path)
    full = _run("--full", path, "--serial", str(serial))
    phases = full["phases"]
    ratio = full["full_s"] / bare["copy_s"]
    print(
        f"{full['lines']:>10,} {full['bytes'] / 1024**2:>8.1f} "
        f"{phases.get('read', 0):>7.2f} {phases.get('check', 0):>7.2f} "
        f"{phases.get('copy', 0):>7.2f} {full['full_s']:>7.2f} {bare['copy_s']:>7.2f} "
        f"{ratio:>6.2f} {full['lines'] / full['full_s']:>9,.0f} "
        f"{full['baseline_mb']:>8.0f} {full['peak_mb']:>8.0f}  {full['status']}"
        + (f" ({full['message']})" if full["status"] != "accepted" else ""),
        flush=True,
    )
    return bare, full


def _summary(size: int, runs: list[tuple[dict, dict]]) -> None:
    """Best and median of repeated runs of one size (each ratio against its own bare COPY)."""
    full = [run["full_s"] for _, run in runs]
    bare = [run["copy_s"] for run, _ in runs]
    ratios = [f / b for f, b in zip(full, bare, strict=True)]
    peak = max(run["peak_mb"] for _, run in runs)
    print(
        f"{size:>10,} over {len(runs)} runs: full best {min(full):.2f} s, median "
        f"{statistics.median(full):.2f} s; bare best {min(bare):.2f} s, median "
        f"{statistics.median(bare):.2f} s; ratio best {min(ratios):.2f}, median "
        f"{statistics.median(ratios):.2f}; peak {peak:,.0f} MB at most",
        flush=True,
    )


if __name__ == "__main__":
    main()
