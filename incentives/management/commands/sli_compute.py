"""Replay one claim period's sales-linked incentive from its inputs, printing the working as JSON."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand

from incentives.sli import engine, inputs

# Bad input is a usage error, not a crash: one line naming the key, and this exit code.
BAD_INPUT = 2


class Command(BaseCommand):
    help = (
        "Compute one claim period's sales-linked incentive from a JSON file of its inputs "
        "('-' reads standard input) and print the working step by step as JSON. "
        "Touches no database."
    )
    # Pure computation: no system checks (some need a database), so it runs with none at all.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("file", help="the inputs as JSON, or - for standard input")

    def handle(self, *args, file: str, **options):
        try:
            period = inputs.parse_json(self._read(file))
        except engine.SliInputError as error:
            # One line, whatever the value quoted in it holds.
            line = str(error).replace("\r", "\\r").replace("\n", "\\n")
            self.stderr.write(f"sli_compute: {line}")
            raise SystemExit(BAD_INPUT) from None
        result = engine.compute(period)
        working = {**result.as_dict(), "input": inputs.as_json_dict(period)}
        self.stdout.write(json.dumps(working, indent=2, ensure_ascii=False))

    def _read(self, file: str) -> bytes:
        if file == "-":
            return sys.stdin.buffer.read()
        try:
            return Path(file).read_bytes()
        except OSError as error:
            raise engine.SliInputError("file", f"cannot read {file!r}: {error.strerror}") from None
