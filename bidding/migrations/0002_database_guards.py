"""The database as last line of defence: append-only records, no late bid, no financial opening first."""

from django.db import migrations

APPEND_ONLY = [
    "bidding_tenderversion",
    "bidding_tenderdocument",
    "bidding_tenderkey",
    "bidding_biddocument",
    "bidding_bidversion",
    "bidding_openingconfirmation",
    "bidding_coveropening",
    "bidding_openedcover",
    "bidding_pbgreminder",
]

GUARDS = """
CREATE OR REPLACE FUNCTION bidding_refuse_late_bid() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    due timestamptz;
    tender_status text;
BEGIN
    SELECT t.bids_due, t.status INTO due, tender_status
      FROM bidding_bid b JOIN bidding_tender t ON t.id = b.tender_id
     WHERE b.id = NEW.bid_id;
    IF tender_status <> 'published' OR NEW.submitted_at >= due THEN
        RAISE EXCEPTION 'Bid version refused: submitted at % but bids were due at % (tender %)',
            NEW.submitted_at, due, tender_status
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER bidding_bidversion_on_time BEFORE INSERT ON bidding_bidversion
    FOR EACH ROW EXECUTE FUNCTION bidding_refuse_late_bid();

CREATE OR REPLACE FUNCTION bidding_refuse_financial_first() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.stage = 'financial' AND NOT EXISTS (
        SELECT 1 FROM bidding_coveropening
         WHERE tender_id = NEW.tender_id AND stage = 'technical' AND opened_at <= NEW.opened_at
    ) THEN
        RAISE EXCEPTION 'Financial covers of tender % cannot open before its technical covers',
            NEW.tender_id USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER bidding_coveropening_order BEFORE INSERT ON bidding_coveropening
    FOR EACH ROW EXECUTE FUNCTION bidding_refuse_financial_first();

CREATE OR REPLACE FUNCTION bidding_rate_only_when_financial() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.quoted_rate IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM bidding_coveropening WHERE id = NEW.opening_id AND stage = 'financial'
    ) THEN
        RAISE EXCEPTION 'A quoted rate is recorded only by a financial opening'
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER bidding_openedcover_rate BEFORE INSERT ON bidding_openedcover
    FOR EACH ROW EXECUTE FUNCTION bidding_rate_only_when_financial();
"""

UNDO_GUARDS = """
DROP TRIGGER IF EXISTS bidding_bidversion_on_time ON bidding_bidversion;
DROP FUNCTION IF EXISTS bidding_refuse_late_bid();
DROP TRIGGER IF EXISTS bidding_coveropening_order ON bidding_coveropening;
DROP FUNCTION IF EXISTS bidding_refuse_financial_first();
DROP TRIGGER IF EXISTS bidding_openedcover_rate ON bidding_openedcover;
DROP FUNCTION IF EXISTS bidding_rate_only_when_financial();
"""


def append_only(table: str) -> str:
    # repm_refuse_update_delete() is the scheme core's append-only trigger function.
    return (
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION repm_refuse_update_delete();"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("bidding", "0001_tenders_bids_awards"),
        ("repm_portal", "0002_append_only_triggers"),
    ]

    operations = [
        *[
            migrations.RunSQL(append_only(t), f"DROP TRIGGER IF EXISTS {t}_append_only ON {t};")
            for t in APPEND_ONLY
        ],
        migrations.RunSQL(GUARDS, UNDO_GUARDS),
    ]
