"""Time and size read_upload + validate on realistic sales-claim CSVs of 100k, 300k and 1M lines.

    .venv/bin/python -m bench.ingest_validate            # 100k, 300k, 1M
    .venv/bin/python -m bench.ingest_validate --sizes 50000,200000

Each size runs in a fresh subprocess so its peak resident memory (ru_maxrss) is its own;
the baseline column is that process's peak after importing pandas and the ingest code,
before reading anything. Prints figures; never passes or fails.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import resource
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

SEED = 2027
PERIOD_START = dt.date(2027, 4, 1)
PERIOD_END = dt.date(2027, 6, 30)
FIRM_GSTIN = "27AAGCN4821K1Z9"  # the claiming firm (valid check character)
DEFAULT_SIZES = (100_000, 300_000, 1_000_000)

# Grade -> (share of lines, base price in Rs/kg): high-coercivity grades carry dysprosium
# or terbium and cost more.
GRADES = {
    "N35": (0.08, 3200),
    "N38": (0.10, 3400),
    "N42": (0.12, 3700),
    "N45": (0.08, 3900),
    "N48": (0.07, 4200),
    "N52": (0.10, 4600),
    "N35SH": (0.07, 4800),
    "N38SH": (0.08, 5000),
    "N42SH": (0.09, 5400),
    "N38UH": (0.07, 6200),
    "N33EH": (0.05, 7100),
    "N30AH": (0.03, 8300),
    "N45H": (0.06, 4500),
}
STATES = ["27", "29", "33", "24", "07", "06", "36", "09", "19", "32"]
NAME_STEMS = [
    "Bharat", "Deccan", "Sahyadri", "Kaveri", "Narmada", "Indus", "Ganga", "Vindhya",
    "Aravali", "Konkan", "Malabar", "Coromandel", "Himalaya", "Satpura", "Godavari",
]  # fmt: skip
NAME_TRADES = [
    "Motors", "E-Mobility", "Wind Systems", "Drives", "Electricals", "Auto Components",
    "Compressors", "Robotics", "Traction", "Appliances",
]  # fmt: skip
EXPORT_BUYERS = [
    ("Sakura Magnetics KK", "JP"),
    ("Rheinland Antriebe GmbH", "DE"),
    ("Great Lakes Motion Inc", "US"),
    ("Hanbit Motor Co Ltd", "KR"),
    ("Thames Drives Ltd", "GB"),
    ("Lyon Eolien SAS", "FR"),
    ("Chao Phraya EV Co Ltd", "TH"),
    ("Saigon Electric JSC", "VN"),
    ("Monterrey Motores SA de CV", "MX"),
    ("Torino Trazione SpA", "IT"),
]


def _gstin(rng: np.random.Generator, state: str) -> str:
    from beneficiaries.validators import gstin_check_character

    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    pan = (
        "".join(rng.choice(list(letters), 3))
        + "C"  # a company
        + rng.choice(list(letters))
        + f"{rng.integers(0, 10_000):04d}"
        + rng.choice(list(letters))
    )
    head = f"{state}{pan}{rng.choice(list('123'))}Z"
    return head + gstin_check_character(head)


def generate(lines: int, seed: int = SEED) -> pd.DataFrame:
    """A claim of `lines` lines, ~1 % credit notes reversing earlier invoices; text cells only."""
    import numpy as np
    import pandas as pd

    from incentives.ingest.columns import HEADER

    rng = np.random.default_rng(seed)
    domestic = [
        (f"{NAME_STEMS[i % len(NAME_STEMS)]} {NAME_TRADES[i % len(NAME_TRADES)]} Pvt Ltd {i}",
         _gstin(rng, STATES[i % len(STATES)]))
        for i in range(300)
    ]  # fmt: skip
    names = np.array([name for name, _ in domestic] + [name for name, _ in EXPORT_BUYERS])
    gstins = np.array([gstin for _, gstin in domestic] + [""] * len(EXPORT_BUYERS))
    countries = np.array([""] * len(domestic) + [country for _, country in EXPORT_BUYERS])
    related = np.zeros(len(names), dtype=bool)
    related[:6] = True  # group companies among the domestic buyers

    # Exports are about a tenth of lines; a few large domestic buyers dominate the rest.
    weights = np.concatenate(
        [rng.pareto(1.2, len(domestic)) + 0.05, np.full(len(EXPORT_BUYERS), 0.0)]
    )
    weights[: len(domestic)] *= 0.9 / weights[: len(domestic)].sum()
    weights[len(domestic) :] = 0.1 / len(EXPORT_BUYERS)
    buyer = rng.choice(len(names), size=lines, p=weights)

    grade_names = np.array(list(GRADES))
    grade_share = np.array([share for share, _ in GRADES.values()])
    grade = rng.choice(len(grade_names), size=lines, p=grade_share / grade_share.sum())
    base_price_paise = np.array([price * 100 for _, price in GRADES.values()], dtype=np.int64)

    grams = np.clip(rng.lognormal(math.log(150_000), 1.0, lines), 1_000, 5_000_000).astype(np.int64)
    whole_kg = rng.random(lines) < 0.6  # most lines are whole kilograms
    grams = np.where(whole_kg, np.maximum(grams // 1000, 1) * 1000, grams)
    price = (base_price_paise[grade] * rng.uniform(0.9, 1.1, lines)).astype(np.int64)
    paise = grams * price // 1000

    days = (PERIOD_END - PERIOD_START).days + 1
    day_offset = np.sort(rng.integers(0, days, lines))
    dates = pd.to_datetime(PERIOD_START) + pd.to_timedelta(day_offset, unit="D")
    layout = rng.choice(3, size=lines, p=[0.7, 0.2, 0.1])
    date_text = np.where(
        layout == 0,
        dates.strftime("%Y-%m-%d"),
        np.where(layout == 1, dates.strftime("%d-%m-%Y"), dates.strftime("%d/%m/%Y")),
    )

    numbers = np.char.add("INV/27-28/", np.char.zfill(np.arange(1, lines + 1).astype(str), 7))
    credit_ref = np.full(lines, "", dtype=object)
    credit = rng.random(lines) < 0.01
    credit[: min(lines, 1000)] = False  # the quarter opens with invoices to reverse
    credit_positions = np.flatnonzero(credit)
    # Each credit note reverses a random invoice line above it.
    invoice_positions = np.flatnonzero(~credit)
    invoices_before = np.searchsorted(invoice_positions, credit_positions)
    targets = invoice_positions[
        (rng.random(len(credit_positions)) * invoices_before).astype(np.int64)
    ]
    share = rng.uniform(0.05, 1.0, len(credit_positions))
    grams[credit_positions] = -np.maximum((grams[targets] * share).astype(np.int64), 1)
    paise[credit_positions] = -np.maximum((paise[targets] * share).astype(np.int64), 1)
    buyer[credit_positions] = buyer[targets]
    grade[credit_positions] = grade[targets]
    credit_ref[credit_positions] = numbers[targets]
    numbers = numbers.astype(object)
    numbers[credit_positions] = [f"CN/27-28/{k:06d}" for k in range(1, len(credit_positions) + 1)]

    def decimal_text(units, places: int):
        sign = np.where(units < 0, "-", "")
        magnitude = np.abs(units)
        whole = pd.Series(magnitude // 10**places).astype(str)
        fraction = pd.Series(magnitude % 10**places).astype(str).str.zfill(places)
        return sign + whole + "." + fraction

    hsn = np.where(rng.random(lines) < 0.8, "85051110", "85051190")
    # The award's one registered plant, in the spellings firms use (case and spacing vary).
    plant = np.where(rng.random(lines) < 0.7, "Pune-1", " PUNE-1 ")
    return pd.DataFrame(
        {
            "invoice_number": numbers,
            "invoice_date": date_text,
            "buyer_name": names[buyer],
            "buyer_gstin": gstins[buyer],
            "export_country": countries[buyer],
            "hsn_code": hsn,
            "magnet_grade": grade_names[grade],
            "quantity_kg": decimal_text(grams, 3),
            "net_sales_value": decimal_text(paise, 2),
            "credit_note_ref": credit_ref,
            "related_party": np.where(related[buyer], "Y", "N"),
            "plant": plant,
        },
        columns=list(HEADER),
    )


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def child(path: str) -> None:
    """Read and validate one file; print the figures as JSON (runs in its own process)."""
    from incentives.ingest.reading import read_upload
    from incentives.ingest.validate import ValidationContext, totals, validate

    baseline = _peak_mb()
    data = Path(path).read_bytes()
    prior = frozenset(f"INV/26-27/{k:07d}" for k in range(200_000))
    context = ValidationContext(
        period_start=PERIOD_START,
        period_end=PERIOD_END,
        unit_value_min=Decimal("1000.00"),
        unit_value_max=Decimal("20000.00"),
        firm_gstin=FIRM_GSTIN,
        registered_plant="Pune-1",
        prior_invoice_numbers=prior,
    )
    started = time.perf_counter()
    frame, _ = read_upload(data, Path(path).name, max_rows=2_000_000, max_bytes=1024**3)
    read_done = time.perf_counter()
    read_peak = _peak_mb()
    result = validate(frame, context)
    validate_done = time.perf_counter()
    summed = totals(result.clean) if result.clean is not None else None
    totals_done = time.perf_counter()
    print(
        json.dumps(
            {
                "lines": len(frame),
                "bytes": len(data),
                "read_s": read_done - started,
                "validate_s": validate_done - read_done,
                "totals_s": totals_done - validate_done,
                "errors": result.error_count,
                "flags": len(result.flags),
                "net_kg": str(summed["net_kg"]) if summed else None,
                "baseline_mb": baseline,
                "read_peak_mb": read_peak,
                "peak_mb": _peak_mb(),
            }
        )
    )


def write_claims(folder: str, sizes: list[int]) -> None:
    """Generate the largest claim once and write its first N lines for every size."""
    started = time.perf_counter()
    claim = generate(max(sizes))
    for size in sizes:
        path = Path(folder) / f"claim-{size}.csv"
        claim.iloc[:size].to_csv(path, index=False, lineterminator="\r\n")
    print(f"generated {max(sizes):,} lines in {time.perf_counter() - started:.1f} s (seed {SEED})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(str(n) for n in DEFAULT_SIZES))
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--generate", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    sizes = sorted(int(size) for size in arguments.sizes.split(","))
    if arguments.child:
        child(arguments.child)
        return
    if arguments.generate:
        write_claims(arguments.generate, sizes)
        return

    # This process stays small (no pandas), because a child's ru_maxrss starts from the
    # resident size of the process that spawned it.
    command = [sys.executable, "-m", "bench.ingest_validate"]
    with tempfile.TemporaryDirectory(prefix="ingest-bench-") as folder:
        generated = subprocess.run(
            [*command, "--generate", folder, "--sizes", arguments.sizes],
            check=True,
            capture_output=True,
            text=True,
        )
        print(generated.stdout.strip())
        print(f"parent process peak: {_peak_mb():.0f} MB")
        print()
        print(
            f"{'lines':>10} {'file MB':>8} {'read s':>7} {'valid. s':>8} {'totals s':>8} "
            f"{'total s':>8} {'lines/s':>9} {'base MB':>8} {'read MB':>8} {'peak MB':>8} "
            f"{'errors':>6} {'flags':>7}"
        )
        for size in sizes:
            path = Path(folder) / f"claim-{size}.csv"
            output = subprocess.run(
                [*command, "--child", str(path)], check=True, capture_output=True, text=True
            ).stdout
            figures = json.loads(output.strip().splitlines()[-1])
            total = figures["read_s"] + figures["validate_s"]
            print(
                f"{figures['lines']:>10,} {figures['bytes'] / 1024**2:>8.1f} "
                f"{figures['read_s']:>7.2f} {figures['validate_s']:>8.2f} "
                f"{figures['totals_s']:>8.2f} {total:>8.2f} {figures['lines'] / total:>9,.0f} "
                f"{figures['baseline_mb']:>8.0f} {figures['read_peak_mb']:>8.0f} "
                f"{figures['peak_mb']:>8.0f} "
                f"{figures['errors']:>6} {figures['flags']:>7,}"
            )
        print()
        print(
            "total s = read + validate. MB = ru_maxrss (peak resident memory) of a fresh "
            "process per size: base after imports, read after read_upload, peak at the end."
        )


if __name__ == "__main__":
    main()
