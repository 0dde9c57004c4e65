"""Export runs: asked for (audited, filters checked), produced once into a file with its hash, the
XLSX beginning with its header block; the audit trail's export carries the chain check."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone
from openpyxl import load_workbook

from bidding import services as bidding_services
from incentives import ledger
from incentives.oversight import services
from incentives.oversight.models import ExportRun
from repm_portal.models import AuditEvent, Job

pytestmark = pytest.mark.django_db


def _xlsx_rows(run: ExportRun) -> list[tuple]:
    with run.file.open("rb") as f:
        book = load_workbook(io.BytesIO(f.read()), read_only=True)
    return list(book.active.iter_rows(values_only=True))


def test_asking_for_a_run_is_audited_and_queues_its_job(users, book):
    run = services.request_export(
        actor=users["auditor"], kind="register", fmt="xlsx",
        params={"pool": "sli", "csrfmiddlewaretoken": "x", "nonsense": "y"},
    )  # fmt: skip
    assert run.filters == {"pool": "sli"} and run.requested_by == users["auditor"]
    event = AuditEvent.objects.get(action="export.requested")
    assert event.object_id == str(run.pk) and event.actor == users["auditor"]
    assert event.new_values == {"kind": "register", "format": "xlsx", "filters": {"pool": "sli"}}
    assert Job.objects.get(task=ExportRun.TASK, target=str(run.pk)).state == "queued"


def test_a_bad_filter_or_format_is_refused_and_nothing_is_written(users, book):
    with pytest.raises(ValidationError) as caught:
        services.request_export(
            actor=users["auditor"], kind="register", fmt="xlsx", params={"pool": "gold"}
        )
    assert "pool" in caught.value.message_dict
    with pytest.raises(ValidationError):
        services.request_export(actor=users["auditor"], kind="register", fmt="pdf", params={})
    assert (
        not ExportRun.objects.exists()
        and not AuditEvent.objects.filter(action__startswith="export").exists()
    )


def test_the_xlsx_register_states_itself_and_sums_to_the_ledger(users, book):
    run = services.request_export(
        actor=users["official"], kind="register", fmt="xlsx", params={"financial_year": "2028-29"}
    )
    run = services.produce_export(run.pk)
    rows = _xlsx_rows(run)
    blank = next(i for i, r in enumerate(rows) if all(v is None for v in r))
    block = {r[0]: r[1] for r in rows[:blank]}
    assert rows[0][:2] == ("REPM Portal", "Disbursement register")
    assert block["Produced by"] == "the_official (Ministry official)"
    assert block["Filters"] == "Financial year: 2028-29"
    assert block["Export run"] == f"#{run.pk}"
    header, *data = rows[blank + 1 :]
    table = [dict(zip(header, r, strict=False)) for r in data]
    assert run.row_count == len(table) == 2
    fy = ledger.balances_of(ledger.LedgerEntry.objects.filter(letter__financial_year="2028-29"))
    assert sum(r["ledger_sanctioned"] for r in table) == fy.sanctioned
    assert sum(r["paid"] for r in table) == fy.paid
    with run.file.open("rb") as f:
        assert hashlib.sha256(f.read()).hexdigest() == run.sha256
    produced = AuditEvent.objects.get(action="export.produced")
    assert produced.new_values["sha256"] == run.sha256 and produced.new_values["rows"] == 2
    # a second delivery writes nothing more
    assert services.produce_export(run.pk).file.name == run.file.name
    assert AuditEvent.objects.filter(action="export.produced").count() == 1


def test_the_xlsx_neutralises_formulas(users, book):
    run = services.produce_export(
        services.request_export(actor=users["auditor"], kind="register", fmt="xlsx", params={}).pk
    )
    firms = {r[9] for r in _xlsx_rows(run) if r and r[0] and str(r[0]).startswith("REPM/")}
    assert '\'=HYPERLINK("x")' in firms and not any(str(f).startswith("=") for f in firms)


def test_the_audit_trail_export_carries_the_chain_check(client, users, book):
    client.force_login(users["auditor"])
    text = b"".join(client.get("/oversight/audit.csv").streaming_content).decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(text)))
    check = dict(line[:2] for line in lines[: lines.index([])])["Chain check"]
    assert check.startswith("intact: all ") and "rows checked" in check
    # tamper with one row: the next export names it
    victim = AuditEvent.objects.order_by("id")[3]
    with connection.cursor() as cursor:  # as only a table owner could, past the trigger
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ALTER TABLE repm_portal_auditevent DISABLE TRIGGER USER")
        cursor.execute(
            "UPDATE repm_portal_auditevent SET object_repr = 'tampered' WHERE id = %s", [victim.pk]
        )
        cursor.execute("ALTER TABLE repm_portal_auditevent ENABLE TRIGGER USER")
    text = b"".join(client.get("/oversight/audit.csv").streaming_content).decode("utf-8-sig")
    assert f"BROKEN at row {victim.pk}" in text
    # the old audit CSV still answers
    assert client.get("/audit/export.csv").status_code == 200


def test_the_guarantee_register_counts_days_to_expiry(users, book):
    guarantee = bidding_services.record_pbg(
        actor=users["official"], award=book.award_a, amount=book.award_a.pbg_amount_required,
        bank_name="State Bank of India", guarantee_number="=PBG-1",
        issued_on=dt.date(2026, 4, 20), valid_until=book.award_a.pbg_valid_until_required,
    )  # fmt: skip
    run = services.produce_export(
        services.request_export(actor=users["auditor"], kind="guarantees", fmt="csv", params={}).pk
    )
    with run.file.open("rb") as f:
        lines = list(csv.reader(io.StringIO(f.read().decode("utf-8-sig"))))
    header = lines[lines.index([]) + 1]
    row = dict(zip(header, lines[lines.index([]) + 2], strict=True))
    today = timezone.localdate(run.requested_at)
    assert row["guarantee_number"] == "'=PBG-1" and row["status"] == "Active"
    assert int(row["days_to_expiry"]) == (guarantee.valid_until - today).days


def test_the_page_follows_a_queued_run_and_offers_the_file_once_done(client, users, media_root):
    run = services.request_export(actor=users["auditor"], kind="audit", fmt="xlsx", params={})
    client.force_login(users["official"])
    page = client.get("/oversight/").content.decode()
    assert f'hx-get="/oversight/runs/{run.pk}/progress/"' in page and "<progress" in page
    services.produce_export(run.pk)
    row = client.get(f"/oversight/runs/{run.pk}/progress/").content.decode()
    assert "hx-get" not in row and f'href="/oversight/runs/{run.pk}/download/"' in row
