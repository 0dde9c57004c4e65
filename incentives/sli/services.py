"""Every write of the sales-linked incentive, one module per use case (this module gathers them).

quarter   the claim kind "sli_quarter": compute under the pool's lock, keep the figure, settle the claim
true_up   the annual true-up: compute, approve (maker-checker), and its claim kind "sli_true_up"
preview   what a claim would receive: one claim now, or a quarter-close run in claim order
replay    recompute a sanctioned figure from its stored input and from the database as it stood
"""

from incentives.sli.preview import (
    preview,
    preview_verified_quarters,
    request_quarter_preview,
    run_quarter_preview,
)
from incentives.sli.replay import BadReference, Report, recompute
from incentives.sli.true_up import approve_true_up, compute_due_true_ups, compute_true_up

__all__ = [
    "BadReference",
    "Report",
    "approve_true_up",
    "compute_due_true_ups",
    "compute_true_up",
    "preview",
    "preview_verified_quarters",
    "recompute",
    "request_quarter_preview",
    "run_quarter_preview",
]
