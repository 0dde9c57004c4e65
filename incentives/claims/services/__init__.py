"""Every write of sales claims, one module per use case: receive a file, check it, accept it, re-run it.

receiving   receive_upload, rerun_upload, can_rerun
processing  process_upload (what the job's task runs), fail_upload (its job failed for good)
accepting   store: the accepted lines become the claim's, in one transaction
lifecycle   the upload's status pipeline; when its check counts as stalled
limits      the size and line limits of one upload
settling    the claim's lifecycle pipeline; sanctioned, nil and paid, as the money core settles it
declaring   declare_feedstock: the oxide the period used, by source (all rows at once)
submitting  submit_claim (CA certificate, declaration), lapse_overdue_claims, reopen_claim (once)
verifying   start_verification, adjust_line, return_claim, reject_claim, verify_claim (with
            the verifier's conclusion on the feedstock check)
approving   approve_claim (never by its verifier), which asks for the sanction
"""

from incentives.claims.services.accepting import Refused
from incentives.claims.services.approving import CLAIM_TYPE, approve_claim
from incentives.claims.services.declaring import declaration_of, declare_feedstock
from incentives.claims.services.lifecycle import PIPELINE, TASK, is_stalled, stall_after
from incentives.claims.services.limits import (
    DEFAULT_MAX_ROWS,
    DEFAULT_MAX_UPLOAD_BYTES,
    MiB,
    max_rows,
    max_upload_bytes,
)
from incentives.claims.services.processing import RULES, fail_upload, process_upload
from incentives.claims.services.receiving import (
    Received,
    can_rerun,
    receive_upload,
    rerun_upload,
)
from incentives.claims.services.settling import CLAIM_PIPELINE, mark_paid, mark_sanctioned
from incentives.claims.services.submitting import (
    CERTIFICATE_MAX_BYTES,
    lapse_overdue_claims,
    reopen_claim,
    reopen_days,
    submit_claim,
)
from incentives.claims.services.verifying import (
    adjust_line,
    reject_claim,
    return_claim,
    start_verification,
    verify_claim,
)

__all__ = [
    "CERTIFICATE_MAX_BYTES",
    "CLAIM_PIPELINE",
    "CLAIM_TYPE",
    "DEFAULT_MAX_ROWS",
    "DEFAULT_MAX_UPLOAD_BYTES",
    "PIPELINE",
    "RULES",
    "TASK",
    "MiB",
    "Received",
    "Refused",
    "adjust_line",
    "approve_claim",
    "can_rerun",
    "declaration_of",
    "declare_feedstock",
    "fail_upload",
    "is_stalled",
    "lapse_overdue_claims",
    "mark_paid",
    "mark_sanctioned",
    "max_rows",
    "max_upload_bytes",
    "process_upload",
    "receive_upload",
    "reject_claim",
    "reopen_claim",
    "reopen_days",
    "rerun_upload",
    "return_claim",
    "stall_after",
    "start_verification",
    "submit_claim",
    "verify_claim",
]
