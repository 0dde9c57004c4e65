"""Check a file's lines a chunk at a time: every rule of validate(), with the file-wide ones kept across chunks.

Most rules judge a line by itself. Two look across the file: an invoice number may appear
once (duplicate_in_file), and a credit note must reverse an invoice line of the file or of
an earlier claim (credit_note_target). Those are carried from chunk to chunk: every given
invoice number's key as a 64-bit hash (a repeat, or two keys that merely hash alike, makes
the file fail here and be checked whole), and the keys of invoice lines as sorted bytes,
against which credit notes that found no invoice in their own chunk are looked up exactly
at the end. A file passes here only if validate() of the whole file would pass it; anything
else is for validate() to report, row by row, as it always has.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import text
from .flags import _related_party, _unit_value_outlier
from .lines import _Lines
from .results import ERROR_RULES, FLAG_RULES, ValidationContext
from .rules import _RULE_CHECKS, _credit_note_target
from .totals import RunningTotals
from .validate import _clean

# Every rule but the credit-note target, which is judged across chunks instead.
_CHUNK_CHECKS = tuple(check for check in _RULE_CHECKS if check is not _credit_note_target)


def _as_bytes(keys: pd.Series | np.ndarray) -> np.ndarray:
    """Text keys as a fixed-width UTF-8 bytes array (text never holds NUL, so nothing is lost)."""
    return text.utf8_bytes(keys)


class StreamCheck:
    """The checks of one file, fed its lines a chunk at a time, in order."""

    def __init__(self, context: ValidationContext) -> None:
        self.context = context
        self.count = 0
        self.totals = RunningTotals()
        self.flag_summary = dict.fromkeys(FLAG_RULES, 0)
        self._hashes: list[np.ndarray] = []  # every given invoice number's key, hashed
        self._invoices: list[np.ndarray] = []  # keys of invoice (not credit-note) lines, sorted
        self._unmatched: set[str] = set()  # credit notes' targets not found in their own chunk

    @property
    def summary_by_rule(self) -> dict[str, int]:
        return dict.fromkeys(ERROR_RULES, 0)

    def check(self, frame: pd.DataFrame) -> pd.DataFrame | None:
        """The chunk's lines typed as validate()'s clean frame, or None if any breaks a rule."""
        context = self.context
        lines = _Lines(frame, context)
        for check in _CHUNK_CHECKS:
            if any(finding.mask.any() for finding in check(lines, context)):
                return None
        given = ~lines.blank["invoice_number"]
        invoices = lines.invoice_key[given & ~lines.credit]
        # Credit notes: their targets looked up in this chunk and the earlier claims now,
        # in the other chunks at the end.
        targets = lines.distinct["credit_note_ref"].str.upper()
        used = np.zeros(len(targets), dtype=bool)
        used[lines.codes["credit_note_ref"][lines.credit]] = True
        # (The few targets looked for among the chunk's invoices, not a table made of these.)
        here = set(invoices[invoices.isin(targets).to_numpy()].tolist())
        found = text.member(targets, here) | text.member(targets, context.credit_target_keys)
        self._unmatched.update(targets[used & ~found].tolist())

        outlier = _unit_value_outlier(lines, context)
        for finding in (outlier, _related_party(lines, context)):
            self.flag_summary[finding.rule] += int(np.count_nonzero(finding.mask))
        keys = lines.invoice_key[given].to_numpy(dtype=object)
        self._hashes.append(pd.util.hash_array(keys, categorize=False))
        self._invoices.append(np.sort(_as_bytes(invoices.to_numpy(dtype=object))))
        clean = _clean(frame, lines, outlier=outlier.mask)
        self.totals.add(clean)
        self.count += len(clean)
        return clean

    def finish(self) -> bool:
        """True if the file's chunks together break no rule: no invoice number twice, no credit
        note without its invoice. Call once every chunk has passed check()."""
        hashes = np.sort(np.concatenate(self._hashes)) if self._hashes else np.zeros(0)
        if len(hashes) > 1 and (hashes[1:] == hashes[:-1]).any():
            return False
        if not self._unmatched:
            return True
        wanted = _as_bytes(sorted(self._unmatched))
        hit = np.zeros(len(wanted), dtype=bool)
        for invoices in self._invoices:
            if not len(invoices):
                continue
            # One width for both, so that no key is cut short to fit the other's.
            width = np.dtype(f"S{max(invoices.itemsize, wanted.itemsize)}")
            looked_in, looked_for = invoices.astype(width), wanted.astype(width)
            at = np.minimum(np.searchsorted(looked_in, looked_for), len(looked_in) - 1)
            hit |= looked_in[at] == looked_for
        return bool(hit.all())
