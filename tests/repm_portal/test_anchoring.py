"""Checkpoints signed outside the database catch a history its owner rewrote end to end."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from incentives import ledger
from incentives.models import EntryKind, LedgerEntry, Pool
from repm_portal import anchoring, audit, jobs
from repm_portal.models import AuditEvent
from repm_portal.roles import Role
from repm_portal.tasks import checkpoint_audit_chain
from tests.factories import AwardFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.integration]
NOW = dt.datetime(2028, 9, 1, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def anchored(settings, tmp_path):
    """A checkpoint key and log of this test's own, outside the database."""
    settings.AUDIT_CHECKPOINT_KEY_FILE = str(tmp_path / "key" / "checkpoint.pem")
    settings.AUDIT_CHECKPOINT_KEY_GENERATE = True
    settings.AUDIT_CHECKPOINT_DIR = str(tmp_path / "log")
    settings.AUDIT_CHECKPOINT_TRUSTED_KEYS = []
    return tmp_path


def _events(count: int) -> list[AuditEvent]:
    rows = []
    for n in range(count):
        with transaction.atomic():
            rows.append(
                audit.record(
                    actor=None, action="test.event", object_type="test", object_id=n, new={"n": n}
                )
            )
    return rows


def _as_owner(table: str, *statements: tuple[str, list]) -> None:
    """What the owner of the tables can do: switch the trigger off, write, switch it on."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        for sql, params in statements:
            cursor.execute(sql, params)
        cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")


def _rewrite_history(changed: AuditEvent) -> None:
    """Change one row, re-hash every later row so the chain holds again, delete the newest."""
    _as_owner(
        "repm_portal_auditevent",
        (
            "UPDATE repm_portal_auditevent SET new_values = '{\"n\": 999}' WHERE id = %s",
            [changed.pk],
        ),
    )
    newest = AuditEvent.objects.order_by("-id").first()
    statements = [("DELETE FROM repm_portal_auditevent WHERE id = %s", [newest.pk])]
    prev = AuditEvent.objects.filter(id__lt=changed.pk).order_by("-id").first()
    prev_hash = prev.row_hash if prev else audit.GENESIS_HASH
    for row in AuditEvent.objects.filter(id__gte=changed.pk, id__lt=newest.pk).order_by("id"):
        row_hash = audit.compute_hash(
            prev_hash=prev_hash, occurred_at=row.occurred_at, actor_id=row.actor_id,
            actor_label=row.actor_label, action=row.action, object_type=row.object_type,
            object_id=row.object_id, object_repr=row.object_repr, old_values=row.old_values,
            new_values=row.new_values,
        )  # fmt: skip
        statements.append(
            (
                "UPDATE repm_portal_auditevent SET prev_hash = %s, row_hash = %s WHERE id = %s",
                [prev_hash, row_hash, row.pk],
            )
        )
        prev_hash = row_hash
    _as_owner("repm_portal_auditevent", *statements)


def test_a_rewritten_chain_contradicts_the_first_checkpoint_after_the_change(anchored, capsys):
    # given three checkpoints over eight rows
    rows = _events(3)
    first = anchoring.make("test")
    rows += _events(3)
    second = anchoring.make("test")
    rows += _events(2)
    third = anchoring.make("test")
    call_command("verify_audit_chain")
    out = capsys.readouterr().out
    assert f"Audit chain intact: {len(rows)} rows." in out
    assert "Checkpoints hold: 3 signed, the latest #3" in out
    # when the owner changes row 5, re-hashes the rows after it and deletes the newest
    _rewrite_history(rows[4])
    # then the chain alone looks intact, as it did before anchoring
    assert audit.verify_chain().intact
    # but the second checkpoint (the first signed after row 5) is contradicted
    report = anchoring.verify()
    assert report.first_contradicted_seq == second["checkpoint"]["seq"] == 2
    assert report.first_contradicted_row == rows[5].pk
    assert not any(f"checkpoint #{first['checkpoint']['seq']} " in f for f in report.findings)
    assert any("#2" in f and "rewritten" in f for f in report.findings)
    # and the deleted tail is caught by the last checkpoint
    assert third["checkpoint"]["audit"]["id"] == rows[-1].pk
    assert any(
        "#3" in f and f"audit row {rows[-1].pk}" in f and "deleted" in f for f in report.findings
    )
    with pytest.raises(
        CommandError, match=rf"CONTRADICTED, first at checkpoint #2 \(audit row {rows[5].pk}\)"
    ):
        call_command("verify_audit_chain")


@pytest.fixture
def award(rules):
    return AwardFactory(allocated_mtpa=1200)


def _sanction(award, amount: int, key: str) -> LedgerEntry:
    with transaction.atomic():
        entry = ledger.post(
            kind=EntryKind.SANCTION, pool=Pool.CAPITAL_SUBSIDY, award=award, amount=amount,
            source_key=key, rule_set=award.rule_set, document_ref="test", narration="test",
            now=NOW,
        )  # fmt: skip
    assert entry is not None
    return entry


def test_a_rewritten_ledger_contradicts_the_checkpoints_that_signed_it(anchored, award):
    # given ledger entries under three checkpoints
    first_entry = _sanction(award, 100, "cp:1")
    anchoring.make("test")
    changed = _sanction(award, 200, "cp:2")
    anchoring.make("test")
    newest = _sanction(award, 300, "cp:3")
    anchoring.make("test")
    assert anchoring.verify().intact
    # when the owner changes the second entry and deletes the newest, behind the trigger's back
    _as_owner(
        "incentives_ledgerentry",
        ("UPDATE incentives_ledgerentry SET amount = 20 WHERE id = %s", [changed.pk]),
        ("DELETE FROM incentives_ledgerentry WHERE id = %s", [newest.pk]),
    )
    # then the audit chain itself is intact, but the second checkpoint is the first contradicted
    assert audit.verify_chain().intact
    report = anchoring.verify()
    assert report.first_contradicted_seq == 2
    assert any("#2" in f and f"entries {changed.pk} differ" in f for f in report.findings)
    # and the deleted newest entry is caught by the last checkpoint
    assert any("#3" in f and f"entries {newest.pk} are gone" in f for f in report.findings)
    assert not any("#1 " in f for f in report.findings)
    assert LedgerEntry.objects.filter(pk=first_entry.pk).exists()
    with pytest.raises(CommandError, match="first at checkpoint #2"):
        call_command("verify_audit_chain")


def test_no_checkpoint_is_signed_over_a_rewritten_history(anchored, users, mailoutbox):
    # given a checkpoint, then a rewrite of the history it signed
    rows = _events(3)
    anchoring.make("test")
    _rewrite_history(rows[1])
    lines_before = anchoring.log_path().read_text()
    mailoutbox.clear()
    # when the next checkpoint is due (an opening's job), then it is refused, and said so
    with transaction.atomic():
        anchoring.enqueue("opening.financial", 7)
    assert checkpoint_audit_chain("opening.financial-7") is None
    job = jobs.job_for(anchoring.TASK, "opening.financial-7")
    assert job is not None and job.state == jobs.State.FAILED
    assert f"audit row {rows[-1].pk} no longer has the hash checkpoint #1 signed" in job.last_error
    assert anchoring.log_path().read_text() == lines_before
    assert [m.subject for m in mailoutbox] == ["REPM audit checkpoints CONTRADICTED"]
    assert mailoutbox[0].to == [users[Role.AUDITOR].email]


def test_the_task_signs_logs_mails_auditors_and_publishes(anchored, users, client, mailoutbox):
    # given a chain and an inactive auditor besides the active one
    UserFactory(role=Role.AUDITOR, username="retired_auditor", is_active=False)
    rows = _events(2)
    # when the daily checkpoint runs, and one for an opening through its job
    daily = checkpoint_audit_chain()
    with transaction.atomic():
        anchoring.enqueue("opening.technical", 41)
    job = jobs.job_for(anchoring.TASK, "opening.technical-41")
    assert job is not None
    event = checkpoint_audit_chain(job.target)
    # then both are signed lines of the log, chained, and they hold
    lines = anchoring.log_path().read_text().splitlines()
    assert [json.loads(line) for line in lines] == [daily, event]
    assert event["checkpoint"]["reason"] == "opening.technical-41"
    assert event["checkpoint"]["audit"] == {"id": rows[-1].pk, "hash": rows[-1].row_hash, "rows": 2}
    key = anchoring.signing_key().public_key()
    assert event["public_key"] == anchoring.public_key_text(key)
    assert anchoring.verify().intact and anchoring.verify().checkpoints == 2
    jobs_done = jobs.job_for(anchoring.TASK, "opening.technical-41")
    assert jobs_done is not None and jobs_done.state == jobs.State.DONE
    # and each went by mail to the active auditor only
    assert [m.to for m in mailoutbox] == [[users[Role.AUDITOR].email]] * 2
    assert event["signature"] in mailoutbox[1].body
    assert mailoutbox[1].subject == "REPM audit checkpoint #2"
    # and the public page shows them, with the signature and the public key, to anyone
    page = client.get("/transparency/checkpoints/")
    assert page.status_code == 200
    html = page.content.decode()
    assert event["signature"] in html and event["public_key"] in html
    assert rows[-1].row_hash in html


def test_a_tampered_checkpoint_line_is_reported(anchored):
    # given two signed checkpoints
    _events(1)
    anchoring.make("test")
    anchoring.make("test")
    path = anchoring.log_path()
    lines = path.read_text().splitlines()
    # when someone edits the first line's head (and keeps its old signature)
    data = json.loads(lines[0])
    data["checkpoint"]["audit"]["hash"] = "f" * 64
    lines[0] = json.dumps(data, sort_keys=True, separators=(",", ":"))
    path.write_text("\n".join(lines) + "\n")
    # then that line is reported as not validly signed, and the next no longer follows it
    report = anchoring.verify()
    assert not report.intact
    assert any("line 1 is not a valid signed checkpoint" in f for f in report.findings)
    assert any("line 2" in f and "does not follow" in f for f in report.findings)
    with pytest.raises(CommandError, match=r"CONTRADICTED.*the checkpoint log"):
        call_command("verify_audit_chain")


def test_a_checkpoint_signed_with_another_key_is_not_trusted(anchored, settings):
    _events(1)
    anchoring.make("test")
    public = anchoring.public_key_text(anchoring.signing_key().public_key())
    # a verifier holding only the public key (an auditor's copy) finds it good
    settings.AUDIT_CHECKPOINT_KEY_FILE = str(anchored / "not-here.pem")
    settings.AUDIT_CHECKPOINT_KEY_GENERATE = False
    settings.AUDIT_CHECKPOINT_TRUSTED_KEYS = [public]
    assert anchoring.verify().intact
    settings.AUDIT_CHECKPOINT_KEY_GENERATE = True
    settings.AUDIT_CHECKPOINT_TRUSTED_KEYS = []
    # when the key is replaced (the old one neither current nor listed as retired)
    settings.AUDIT_CHECKPOINT_KEY_FILE = str(anchored / "other.pem")
    report = anchoring.verify()
    assert any("signed with a key that is not ours" in f for f in report.findings)


def test_a_ledger_entry_written_around_the_service_is_reported(anchored, award):
    # given an audited entry, and one inserted directly (as the application's role still may)
    _sanction(award, 100, "cp:audited")
    anchoring.make("test")
    with transaction.atomic():
        forged = LedgerEntry.objects.create(
            kind="sanction", account="sanction", pool=Pool.CAPITAL_SUBSIDY, award=award, amount=50,
            rule_set=award.rule_set, document_ref="x", source_key="forged", narration="x",
            posted_at=NOW,
        )  # fmt: skip
    # then verification names it: no audit row, so no checkpoint vouches for it
    report = anchoring.verify()
    assert report.findings == [
        f"ledger entries {forged.pk} have no audit record: they were written around the "
        "ledger's service, so no checkpoint can vouch for them"
    ]


def test_the_verify_panel_says_how_many_checkpoints_hold():
    from django.template.loader import render_to_string

    report = {"intact": True, "rows_checked": 12, "checkpoints": 3, "checkpoint_findings": []}
    html = render_to_string("audit/_verify.html", {"report": report})
    assert "Chain intact: 12 rows" in html
    assert "It agrees with all 3 signed checkpoints kept outside the database." in html
    assert 'href="/transparency/checkpoints/"' in html
