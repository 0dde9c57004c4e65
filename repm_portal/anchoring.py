"""Checkpoints of the audit chain and the ledger, signed with a key the database never holds.

Whoever owns the tables can rewrite the hash chain end to end, so the chain alone proves nothing
against them. A checkpoint fixes the chain's head (row id, hash, rows) and a digest of the ledger
entries audited up to it, signed with an Ed25519 key read from a file (settings.
AUDIT_CHECKPOINT_KEY_FILE), and is written where the database cannot reach: an append-only log
on disk (settings.AUDIT_CHECKPOINT_DIR), the public page /transparency/checkpoints/, and an
e-mail to every active auditor. `verify()` then holds the database to every checkpoint: a history
re-hashed after a checkpoint contradicts it, and a deleted tail contradicts the last one.
"""

from __future__ import annotations

import base64
import datetime as dt
import fcntl
import hashlib
import json
import logging
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import send_mail
from django.db import models
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from repm_portal import audit
from repm_portal.models import AuditEvent

log = logging.getLogger(__name__)

TASK = "repm_portal.tasks.checkpoint_audit_chain"
LOG_NAME = "checkpoints.jsonl"
LEDGER_TYPE = "incentives.ledgerentry"
# The ledger entry's fields its audit row snapshots (incentives.ledger._snapshot), and its own.
LEDGER_SNAPSHOT = [
    "kind", "account", "pool", "award_id", "amount", "claim_type", "claim_id", "rule_set_id",
    "letter_id", "document_ref", "source_key", "reverses_id", "award_cap", "narration",
]  # fmt: skip
LEDGER_FIELDS = ["id", *LEDGER_SNAPSHOT, "posted_at", "posted_by_id"]


def _batched(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


# --- the key -------------------------------------------------------------------------------


def signing_key() -> Ed25519PrivateKey:
    """The private key from its file; in development and tests a missing file is generated."""
    path = Path(settings.AUDIT_CHECKPOINT_KEY_FILE)
    if not path.exists():
        if not settings.AUDIT_CHECKPOINT_KEY_GENERATE:
            raise ImproperlyConfigured(f"The audit checkpoint key {path} does not exist.")
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process generated it first
        else:
            with os.fdopen(fd, "wb") as handle:
                handle.write(pem)
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ImproperlyConfigured(f"{path} does not hold an Ed25519 private key.")
    return key


def public_key_text(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def trusted_keys() -> set[str]:
    """The public keys a checkpoint may be signed with: the current key's and retired ones.

    A verifier without the private key (an auditor's copy) lists the public ones it trusts.
    """
    listed = set(settings.AUDIT_CHECKPOINT_TRUSTED_KEYS)
    try:
        return {public_key_text(signing_key().public_key()), *listed}
    except (ImproperlyConfigured, OSError):
        if listed:
            return listed
        raise


# --- the ledger's digest -------------------------------------------------------------------


@dataclass
class LedgerState:
    entries: int = 0
    head_id: int | None = None
    digest: str = audit.GENESIS_HASH
    missing: list[int] = field(default_factory=list)
    altered: list[int] = field(default_factory=list)

    def as_signed(self) -> dict[str, Any]:
        return {"entries": self.entries, "head_id": self.head_id, "digest": self.digest}


def ledger_states(stops: Iterable[int]) -> dict[int, LedgerState]:
    """The ledger digest after the entries audited at or before each stop (an audit row id).

    Entries are taken in the order of their audit rows, which commit in id order under the chain's
    lock, so an entry committed later never lands inside an earlier checkpoint. Each entry is also
    held to the snapshot its audit row took: an entry changed in place is named.
    """
    points = sorted(set(stops))
    if not points:
        return {}
    from incentives.models import LedgerEntry

    state = LedgerState()
    result: dict[int, LedgerState] = {}
    index = 0
    events = (
        AuditEvent.objects.filter(object_type=LEDGER_TYPE, id__lte=points[-1])
        .order_by("id")
        .values_list("id", "object_id", "new_values")
    )
    for chunk in _batched(events.iterator(chunk_size=2000), 2000):
        ids = [int(object_id) for _, object_id, _ in chunk]
        rows = {r["id"]: r for r in LedgerEntry.objects.filter(id__in=ids).values(*LEDGER_FIELDS)}
        for audit_id, object_id, snapshot in chunk:
            while index < len(points) and points[index] < audit_id:
                result[points[index]] = _copy(state)
                index += 1
            row = rows.get(int(object_id))
            if row is None:
                state.missing.append(int(object_id))
                continue
            if snapshot is not None and audit.to_json({k: row[k] for k in LEDGER_SNAPSHOT}) != {
                k: snapshot.get(k) for k in LEDGER_SNAPSHOT
            }:
                state.altered.append(row["id"])
            line = _canonical(audit.to_json(row))
            state.digest = hashlib.sha256(state.digest.encode() + line).hexdigest()
            state.entries += 1
            state.head_id = row["id"]
    for point in points[index:]:
        result[point] = _copy(state)
    return result


def _copy(state: LedgerState) -> LedgerState:
    return LedgerState(
        state.entries, state.head_id, state.digest, list(state.missing), list(state.altered)
    )


# --- the log on disk -----------------------------------------------------------------------


def log_path() -> Path:
    return Path(settings.AUDIT_CHECKPOINT_DIR) / LOG_NAME


@dataclass(frozen=True)
class LogLine:
    number: int  # 1-based line of the log
    text: str
    data: dict[str, Any] | None  # None when the line is not JSON

    @property
    def checkpoint(self) -> dict[str, Any]:
        return (self.data or {}).get("checkpoint") or {}


def read_log() -> list[LogLine]:
    path = log_path()
    if not path.exists():
        return []
    lines = []
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not text.strip():
            continue
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        lines.append(LogLine(number, text, data if isinstance(data, dict) else None))
    return lines


def _line_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _append(build: Callable[[list[LogLine]], str]) -> str:
    """Append the line `build(previous_lines)` makes, under an exclusive lock on the log."""
    path = log_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            text = build(read_log())
            handle.write(text + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
    return text


# --- making a checkpoint -------------------------------------------------------------------


def make(reason: str, *, now: dt.datetime | None = None) -> dict[str, Any] | None:
    """Sign the chain's head and the ledger's digest; write the log; tell the auditors.

    None when there is no audit row yet to anchor.
    """
    head = AuditEvent.objects.order_by("-id").values("id", "row_hash").first()
    if head is None:
        return None
    rows = AuditEvent.objects.filter(id__lte=head["id"]).count()
    last = _last_signed()
    stops = [head["id"]] + ([int(last["audit"]["id"])] if last else [])
    states = ledger_states(stops)
    ledger = states[head["id"]]
    if last is not None:
        _refuse_if_contradicted(last, states[int(last["audit"]["id"])])
    key = signing_key()
    signed_at = (now or timezone.now()).astimezone(dt.UTC).isoformat(timespec="seconds")

    def build(previous: list[LogLine]) -> str:
        last = previous[-1] if previous else None
        payload = {
            "version": 1,
            "seq": (int(last.checkpoint.get("seq", 0)) if last else 0) + 1,
            "signed_at": signed_at,
            "reason": reason,
            "audit": {"id": head["id"], "hash": head["row_hash"], "rows": rows},
            "ledger": ledger.as_signed(),
            "prev_line": _line_hash(last.text) if last else audit.GENESIS_HASH,
        }
        signature = base64.b64encode(key.sign(_canonical(payload))).decode()
        public = public_key_text(key.public_key())
        return json.dumps(
            {"checkpoint": payload, "signature": signature, "public_key": public},
            sort_keys=True,
            separators=(",", ":"),
        )

    text = _append(build)
    line = json.loads(text)
    _mail_auditors(line)
    return line


class CheckpointRefused(RuntimeError):
    """The database no longer agrees with the last checkpoint: nothing is signed over it."""


def _last_signed() -> dict[str, Any] | None:
    checkpoints = list(_signed(read_log(), AnchorReport()))
    return checkpoints[-1] if checkpoints else None


def _refuse_if_contradicted(last: dict[str, Any], ledger: LedgerState) -> None:
    """Never sign over a history that contradicts the last checkpoint; tell the auditors instead."""
    report = AnchorReport()
    row = int(last["audit"]["id"])
    now_hash = AuditEvent.objects.filter(id=row).values_list("row_hash", flat=True).first()
    if now_hash != last["audit"]["hash"]:
        report.findings.append(
            f"audit row {row} no longer has the hash checkpoint #{last['seq']} signed "
            f"({'it is gone' if now_hash is None else 'the history up to it was rewritten'})"
        )
    _check_ledger(last, ledger, report)
    if report.findings:
        mail_alert(report.findings)
        raise CheckpointRefused("; ".join(report.findings))


def auditor_emails() -> list[str]:
    from beneficiaries.models import User
    from repm_portal.roles import Role

    return list(
        User.objects.filter(role=Role.AUDITOR, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )


def mail_alert(findings: list[str]) -> int:
    """Tell the auditors the database contradicts the signed checkpoints."""
    recipients = auditor_emails()
    if not recipients:
        return 0
    with translation.override(settings.LANGUAGE_CODE):  # the e-mails' language
        body = (
            _(
                "The portal's audit trail or ledger no longer agrees with checkpoints signed "
                "earlier. Compare with the checkpoint mails you have kept."
            )
            + "\n\n- "
            + "\n- ".join(findings)
            + "\n"
        )
        subject = _("REPM audit checkpoints CONTRADICTED")
    return send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)


def _mail_auditors(line: dict[str, Any]) -> int:
    recipients = auditor_emails()
    if not recipients:
        return 0
    cp = line["checkpoint"]
    with translation.override(settings.LANGUAGE_CODE):  # the e-mails' language
        body = (
            _(
                "Audit checkpoint #%(seq)s was signed at %(signed_at)s (%(reason)s).\n\n"
                "Audit chain head: row %(row)s, hash %(hash)s, %(rows)s rows.\n"
                "Ledger: %(entries)s entries audited, digest %(digest)s.\n\n"
                "Keep this message. If the portal's history is ever rewritten, this signed line "
                "shows what it said. The line, its Ed25519 signature and the public key:"
            )
            % {
                "seq": cp["seq"],
                "signed_at": cp["signed_at"],
                "reason": cp["reason"],
                "row": cp["audit"]["id"],
                "hash": cp["audit"]["hash"],
                "rows": cp["audit"]["rows"],
                "entries": cp["ledger"]["entries"],
                "digest": cp["ledger"]["digest"],
            }
            + f"\n\n{json.dumps(line, sort_keys=True, separators=(',', ':'))}\n"
        )
        subject = _("REPM audit checkpoint #%(seq)s") % {"seq": cp["seq"]}
    return send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)


# --- verifying -----------------------------------------------------------------------------


@dataclass
class AnchorReport:
    checkpoints: int = 0  # lines with a good signature
    findings: list[str] = field(default_factory=list)
    first_contradicted_seq: int | None = None
    first_contradicted_row: int | None = None
    latest: dict[str, Any] | None = None

    @property
    def intact(self) -> bool:
        return not self.findings

    def _contradicted(self, seq: int, row: int | None) -> None:
        if self.first_contradicted_seq is None:
            self.first_contradicted_seq, self.first_contradicted_row = seq, row


def _signed(lines: list[LogLine], report: AnchorReport) -> Iterator[dict[str, Any]]:
    """The checkpoints whose signature holds under a trusted key; every other line is a finding."""
    keys = trusted_keys() if lines else set()
    previous: LogLine | None = None
    for line in lines:
        data = line.data or {}
        payload = line.checkpoint
        where = f"checkpoint log line {line.number}"
        try:
            public = data["public_key"]
            signature = base64.b64decode(data["signature"], validate=True)
            if public not in keys:
                raise ValueError("it is signed with a key that is not ours")
            Ed25519PublicKey.from_public_bytes(base64.b64decode(public)).verify(
                signature, _canonical(payload)
            )
        except (KeyError, TypeError, ValueError, InvalidSignature) as error:
            detail = str(error) or "its signature does not verify under the public key"
            report.findings.append(f"{where} is not a valid signed checkpoint: {detail}")
            previous = line
            continue
        expected = _line_hash(previous.text) if previous else audit.GENESIS_HASH
        if payload.get("prev_line") != expected:
            report.findings.append(
                f"{where} (checkpoint #{payload.get('seq')}) does not follow the line before it: "
                "a line of the log was removed or reordered"
            )
        previous = line
        yield payload


def verify() -> AnchorReport:
    """Hold the audit chain and the ledger to every signed checkpoint in the log."""
    report = AnchorReport()
    checkpoints = list(_signed(read_log(), report))
    report.checkpoints = len(checkpoints)
    if not checkpoints:
        return report
    report.latest = checkpoints[-1]
    ids = {int(cp["audit"]["id"]) for cp in checkpoints}
    hashes = dict(AuditEvent.objects.filter(id__in=ids).values_list("id", "row_hash"))
    ledgers = ledger_states(ids)
    for cp in checkpoints:
        seq, row, signed = cp["seq"], int(cp["audit"]["id"]), cp["audit"]["hash"]
        if row not in hashes:
            report._contradicted(seq, row)
            report.findings.append(
                f"checkpoint #{seq} (signed {cp['signed_at']}) names audit row {row} with hash "
                f"{signed[:12]}…, but that row is gone: rows were deleted from the end of the chain"
            )
        elif hashes[row] != signed:
            report._contradicted(seq, row)
            report.findings.append(
                f"checkpoint #{seq} (signed {cp['signed_at']}) says audit row {row} hashes to "
                f"{signed[:12]}…, but it now hashes to {hashes[row][:12]}…: the history up to "
                "that row was rewritten"
            )
        _check_ledger(cp, ledgers[row], report)
    unaudited = _unaudited_ledger_entries()
    if unaudited:
        report.findings.append(
            f"ledger entries {_ids(unaudited)} have no audit record: they were written around "
            "the ledger's service, so no checkpoint can vouch for them"
        )
    return report


def _unaudited_ledger_entries(limit: int = 6) -> list[int]:
    """Ledger entries no audit row names: the service audits each in the same transaction."""
    from django.db.models import Exists, OuterRef
    from django.db.models.functions import Cast

    from incentives.models import LedgerEntry

    audited = AuditEvent.objects.filter(
        object_type=LEDGER_TYPE, object_id=Cast(OuterRef("id"), models.CharField())
    )
    return list(
        LedgerEntry.objects.filter(~Exists(audited))
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )


def _check_ledger(cp: dict[str, Any], state: LedgerState, report: AnchorReport) -> None:
    signed = cp.get("ledger") or {}
    if signed.get("digest") == state.digest and signed.get("entries") == state.entries:
        return
    seq = cp["seq"]
    report._contradicted(seq, int(cp["audit"]["id"]))
    why = []
    if state.missing:
        why.append(f"ledger entries {_ids(state.missing)} are gone")
    if state.altered:
        why.append(f"ledger entries {_ids(state.altered)} differ from their audit records")
    if not why:
        why.append(f"{state.entries} entries now where {signed.get('entries')} were signed")
    report.findings.append(
        f"checkpoint #{seq} (signed {cp['signed_at']}) signed a ledger of "
        f"{signed.get('entries')} entries with digest {str(signed.get('digest'))[:12]}…, "
        f"but it now digests to {state.digest[:12]}…: {'; '.join(why)}"
    )


def _ids(ids: list[int]) -> str:
    shown = ", ".join(str(i) for i in ids[:5])
    return shown + (f" and {len(ids) - 5} more" if len(ids) > 5 else "")


def public_checkpoints(limit: int = 200) -> list[dict[str, Any]]:
    """The newest checkpoints of the log for the public page, newest first."""
    out = []
    for line in reversed(read_log()[-limit:]):
        if line.data is None:
            continue
        out.append({**line.checkpoint, "signature": line.data.get("signature", "")})
    return out


def enqueue(reason: str, target: int | str) -> None:
    """Checkpoint the chain once the caller's transaction commits (an opening, award, sanction)."""
    from repm_portal import jobs

    jobs.enqueue_on_commit(TASK, f"{reason}-{target}")


__all__ = [
    "TASK",
    "AnchorReport",
    "CheckpointRefused",
    "LedgerState",
    "enqueue",
    "ledger_states",
    "log_path",
    "mail_alert",
    "make",
    "public_checkpoints",
    "public_key_text",
    "read_log",
    "signing_key",
    "trusted_keys",
    "verify",
]
