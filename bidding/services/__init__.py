"""Every write of the bidding phase: one function per use case, all-or-nothing, audited.

Rules that protect the tender live here and nowhere else: the server's clock against the
timeline, the rule set's bounds, the opening quorum, the order of the openings and the
four-eyes evaluation. Each function takes `now` (default: the clock, read after the locks are
taken) so the demo can replay a tender in the past through the very same checks.

No quoted rate is ever put in an error message, an audit row or a log line before the
financial opening: the rate exists only inside the sealed financial cover until then.

One module per use case; callers import from here (`from bidding import services`).
"""

from __future__ import annotations

from bidding.services._common import (
    BID_PIPELINE,
    COMMITTEE_ROLES,
    EVALUATION_APPROVERS,
    TENDER_MANAGERS,
    TENDER_PIPELINE,
)
from bidding.services.awards import (
    award_tender,
    pbg_terms,
    render_award_letter,
)
from bidding.services.bids import (
    DPR_MAX_BYTES,
    DPR_TYPES,
    ELIGIBILITY_MAX_BYTES,
    ELIGIBILITY_TYPES,
    parse_rate,
    submit_bid,
    technical_cover,
    technical_cover_of,
    validate_capacity,
    validate_net_worth,
    validate_quoted_rate,
    withdraw_bid,
)
from bidding.services.committee import change_committee
from bidding.services.evaluation import (
    EVALUATION_PIPELINE,
    approve_evaluation,
    record_evaluation,
    return_evaluation,
)
from bidding.services.guarantee_closures import (
    cancel_pbg_closure,
    confirm_pbg_closure,
    open_closure,
    propose_pbg_closure,
)
from bidding.services.guarantees import (
    PBG_PIPELINE,
    PBG_REMINDER_DAYS,
    can_record_pbg,
    expired_guarantees_with_obligations,
    extend_pbg,
    flag_expired_guarantees,
    invoke_pbg,
    obligations_end_on,
    open_obligations,
    record_pbg,
    register_obligation_check,
    release_pbg,
    send_pbg_expiry_reminders,
)
from bidding.services.opening_keys import set_up_opening_key
from bidding.services.openings import allocation_rules, confirm_opening
from bidding.services.queries import answer_query, ask_query
from bidding.services.tenders import (
    NOTIFY_TASK,
    RFP_MAX_BYTES,
    RFP_TYPES,
    add_tender_document,
    cancel_tender,
    create_tender,
    issue_corrigendum,
    notify_firms_of_tender_version,
    publish_tender,
    validate_timeline,
)

__all__ = [
    "BID_PIPELINE",
    "COMMITTEE_ROLES",
    "DPR_MAX_BYTES",
    "DPR_TYPES",
    "ELIGIBILITY_MAX_BYTES",
    "ELIGIBILITY_TYPES",
    "EVALUATION_APPROVERS",
    "EVALUATION_PIPELINE",
    "NOTIFY_TASK",
    "PBG_PIPELINE",
    "PBG_REMINDER_DAYS",
    "RFP_MAX_BYTES",
    "RFP_TYPES",
    "TENDER_MANAGERS",
    "TENDER_PIPELINE",
    "add_tender_document",
    "allocation_rules",
    "answer_query",
    "approve_evaluation",
    "ask_query",
    "award_tender",
    "can_record_pbg",
    "cancel_pbg_closure",
    "cancel_tender",
    "change_committee",
    "confirm_opening",
    "confirm_pbg_closure",
    "create_tender",
    "expired_guarantees_with_obligations",
    "extend_pbg",
    "flag_expired_guarantees",
    "invoke_pbg",
    "issue_corrigendum",
    "notify_firms_of_tender_version",
    "obligations_end_on",
    "open_closure",
    "open_obligations",
    "parse_rate",
    "pbg_terms",
    "propose_pbg_closure",
    "publish_tender",
    "record_evaluation",
    "record_pbg",
    "register_obligation_check",
    "release_pbg",
    "render_award_letter",
    "return_evaluation",
    "send_pbg_expiry_reminders",
    "set_up_opening_key",
    "submit_bid",
    "technical_cover",
    "technical_cover_of",
    "validate_capacity",
    "validate_net_worth",
    "validate_quoted_rate",
    "validate_timeline",
    "withdraw_bid",
]
