"""`manage.py sli_compute`: the working of one period as JSON, with no database, and one-line refusals."""

from __future__ import annotations

import copy
import io
import json
import os
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[2]
PYTHON = ROOT / ".venv" / "bin" / "python"

EXAMPLE = {
    "kind": "quarter",
    "period_start": "2029-04-01",
    "period_end": "2029-06-30",
    "scheme_year": 1,
    "rate": "2000.00",
    "capacity_mtpa": 1200,
    "eligible_kg": "250000.000",
    "net_sales_value": "1500000000.00",
    "award_sanctioned_before": "0",
    "pool_sanctioned_before": "0",
    "pending_deductions": "0",
    "released_in_year": "0",
    "rules": {
        "turnover_cap_pct": "40",
        "taper": ["1", "1", "1", "1", "1"],
        "provisional_share_pct": "85",
        "sli_pool": "64500000000.00",
        "award_cap_years": 5,
    },
}
# Worked by hand: 2,50,000 kg is under the capacity cap 1,200 x 1,000 x 91/365 = 2,99,178.082 kg;
# gross 2,000 x 1 x 2,50,000 = 50,00,00,000, under 40 % of 1,50,00,00,000 = 60,00,00,000, the
# award cap 2,000 x 1,200 x 1,000 x 5 = 12,00,00,00,000 and the pool; 85 % = 42,50,00,000.00.
EXPECTED = {
    "capped_kg": "250000.000",
    "gross": "500000000.00",
    "after_turnover_cap": "500000000.00",
    "after_award_cap": "500000000.00",
    "after_pool": "500000000.00",
    "release": "425000000.00",
    "deduction_applied": "0.00",
    "deduction_carried": "0.00",
    "payable": "425000000.00",
    "recovery": "0.00",
}
KEYS = [*EXPECTED, "steps"]


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """The command as an operator runs it, against a database URL nothing listens on.

    Settings would start the embedded servers without DATABASE_URL and REDIS_URL; these name
    ports nobody serves, so any query (or a system check that needs one) would fail the run.
    """
    env = {
        **os.environ,
        "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none",
        "REDIS_URL": "redis://127.0.0.1:1/0",
        "DJANGO_SETTINGS_MODULE": "repm_portal.settings.base",
    }
    return subprocess.run(
        [str(PYTHON), "manage.py", "sli_compute", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def example_file(tmp_path) -> Path:
    path = tmp_path / "q1.json"
    path.write_text(json.dumps(EXAMPLE))
    return path


def test_computes_a_file_with_no_database(example_file):
    done = run(str(example_file))

    assert (done.returncode, done.stderr) == (0, "")
    out = json.loads(done.stdout)
    assert list(out)[: len(KEYS)] == KEYS
    assert {key: out[key] for key in EXPECTED} == EXPECTED
    assert [step["step"] for step in out["steps"]] == [1, 2, 3, 4, 5, 6, 7, 8]
    assert out["steps"][5] == {
        "step": 6,
        "name": "release",
        "value": "425000000.00",
        "binding": True,
        "note": (
            "provisional share 85 % of Rs 50,00,00,000.00 = Rs 42,50,00,000.00; "
            "the rest waits for the true-up"
        ),
        "rule": "provisional_share_pct",
    }
    assert done.stdout.startswith('{\n  "capped_kg": "250000.000",\n')  # indent 2
    assert out["kind"] == "quarter"


def test_reads_standard_input_and_replays_its_own_printed_inputs(example_file):
    first = json.loads(run(str(example_file)).stdout)

    again = run("-", stdin=json.dumps(first["input"]))

    assert again.returncode == 0
    assert json.loads(again.stdout) == first


def with_changes(**changes) -> str:
    data = copy.deepcopy(EXAMPLE)
    for key, value in changes.items():
        if value is None:
            del data[key]
        else:
            data[key] = value
    return json.dumps(data)


@pytest.mark.parametrize(
    ("text", "line"),
    [
        (
            '{"kind": "quarter" "period_start": "2029-04-01"}',
            "sli_compute: input: is not valid JSON: Expecting ',' delimiter (line 1, column 20)",
        ),
        (with_changes(eligible_kg=None), "sli_compute: eligible_kg: is missing"),
        (with_changes(eligible_kg="-1.000"), "sli_compute: eligible_kg: must not be negative"),
        (
            with_changes(rate=2000.5),
            'sli_compute: rate: must be a decimal string such as "2000.5", not the JSON number '
            "2000.5 (a float is not exact)",
        ),
        (
            with_changes(kind="annual"),
            'sli_compute: kind: must be "quarter" or "true_up", not \'annual\'',
        ),
    ],
    ids=["bad-json", "missing-key", "negative-kg", "float-money", "bad-kind"],
)
def test_bad_input_exits_2_with_one_line_naming_the_key(text, line):
    done = run("-", stdin=text)

    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == line + "\n"


# The rest of the refusals, in process (quicker; the exit code is the one seen above).


def refusal(text: str, tmp_path) -> str:
    path = tmp_path / "in.json"
    path.write_text(text)
    err = io.StringIO()
    with pytest.raises(SystemExit) as caught:
        call_command("sli_compute", str(path), stdout=io.StringIO(), stderr=err)
    assert caught.value.code == 2
    assert err.getvalue().count("\n") == 1
    return err.getvalue().strip()


def rules_with(**changes) -> dict:
    return {**EXAMPLE["rules"], **changes}


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("[]", "input: must be a JSON object, not a list"),
        (with_changes(eligble_kg="1"), "eligble_kg: is not an input the engine reads"),
        (with_changes(rules=rules_with(taper=["1"] * 4)), "rules.taper: must list 5 multipliers"),
        (
            with_changes(rules=rules_with(taper=["1", "1", "x", "1", "1"])),
            "rules.taper[2]: must be",
        ),
        (with_changes(rules={"turnover_cap_pct": "40"}), "rules.taper: is missing"),
        (with_changes(rules=rules_with(sli_pool=1e12)), "rules.sli_pool: must be a decimal string"),
        (with_changes(scheme_year=6), "scheme_year: must be 1 to 5, not 6"),
        (with_changes(scheme_year="one"), "scheme_year: must be a whole number"),
        (with_changes(capacity_mtpa=1200.0), "capacity_mtpa: must be a whole number"),
        (with_changes(period_end="2029-03-31"), "period_end: 2029-03-31 is before period_start"),
        (with_changes(period_end="2029-02-30"), "period_end: '2029-02-30' is not a date"),
        (with_changes(period_end="2030-04-30"), "period_end: 2030-04-30 is in FY 2030-31"),
        (with_changes(rate="1e3"), "rate: must be a decimal string such as \"2000.00\", not '1e3'"),
        (with_changes(rate="NaN"), "rate: must be a decimal string"),
        (with_changes(net_sales_value="-1.00"), "net_sales_value: must not be negative"),
        (with_changes(net_sales_value=None), "net_sales_value: is missing"),
        (with_changes(pending_deductions="0.001"), "pending_deductions: must be whole paise"),
        (with_changes(released_in_year="5.00"), "released_in_year: applies to a true_up only"),
        (with_changes(kind="true_up", released_in_year=None), "released_in_year: is missing"),
        ('{"kind": "quarter", "kind": "true_up"}', "kind: appears more than once"),
        ('{"kind": NaN}', "kind: must be"),
    ],
)
def test_every_refusal_is_one_line_naming_the_key(text, line, tmp_path):
    assert refusal(text, tmp_path).startswith(f"sli_compute: {line}")


def test_a_quarter_may_leave_out_released_in_year(tmp_path):
    path = tmp_path / "q1.json"
    path.write_text(with_changes(released_in_year=None))
    out = io.StringIO()

    call_command("sli_compute", str(path), stdout=out)

    assert json.loads(out.getvalue())["payable"] == "425000000.00"


def test_a_file_that_cannot_be_read(tmp_path):
    err = io.StringIO()
    with pytest.raises(SystemExit):
        call_command("sli_compute", str(tmp_path / "gone.json"), stderr=err)
    assert err.getvalue().startswith("sli_compute: file: cannot read")
