"""The ledger's last line of defence, in the database itself.

- Ledger entries and payments are append-only (the core's repm_refuse_update_delete()).
- A sanction takes the pool's advisory lock (the one ledger.lock_pool takes) and is refused if
  it would take the pool past the rule set's limit, or the award past the cap named on the entry.
- A payment is refused if the letter's payments would exceed the letter's amount.
- A sanction letter's figures never change, an issued letter never changes at all, and none is
  deleted; a letter series' counter only moves forward.
"""

from django.db import migrations

LEDGER_CHECK = r"""
CREATE OR REPLACE FUNCTION repm_ledger_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    lim numeric;
    total numeric;
BEGIN
    IF NEW.account = 'sanction' THEN
        PERFORM pg_advisory_xact_lock(hashtext('repm-ledger-pool'), hashtext(NEW.pool));
        SELECT CASE NEW.pool WHEN 'sli' THEN sli_pool WHEN 'capital_subsidy' THEN capital_subsidy_pool END
          INTO lim FROM repm_portal_ruleset WHERE id = NEW.rule_set_id;
        IF lim IS NULL THEN
            RAISE EXCEPTION 'ledger: no limit for pool %', NEW.pool USING ERRCODE = 'check_violation';
        END IF;
        IF NEW.amount > 0 THEN
            SELECT COALESCE(SUM(amount), 0) + NEW.amount INTO total
              FROM incentives_ledgerentry WHERE pool = NEW.pool AND account = 'sanction';
            IF total > lim THEN
                RAISE EXCEPTION 'ledger: sanctions in pool % would reach %, past its limit %', NEW.pool, total, lim
                  USING ERRCODE = 'check_violation';
            END IF;
            IF NEW.award_cap IS NOT NULL THEN
                SELECT COALESCE(SUM(amount), 0) + NEW.amount INTO total
                  FROM incentives_ledgerentry
                 WHERE pool = NEW.pool AND account = 'sanction' AND award_id = NEW.award_id;
                IF total > NEW.award_cap THEN
                    RAISE EXCEPTION 'ledger: sanctions to award % would reach %, past its cap %',
                        NEW.award_id, total, NEW.award_cap USING ERRCODE = 'check_violation';
                END IF;
            END IF;
        END IF;
    ELSIF NEW.account = 'payment' AND NEW.amount > 0 THEN
        SELECT amount INTO lim FROM incentives_sanctionletter WHERE id = NEW.letter_id FOR UPDATE;
        SELECT COALESCE(SUM(amount), 0) + NEW.amount INTO total
          FROM incentives_ledgerentry WHERE account = 'payment' AND letter_id = NEW.letter_id;
        IF total > lim THEN
            RAISE EXCEPTION 'ledger: payments against letter % would reach %, past its amount %',
                NEW.letter_id, total, lim USING ERRCODE = 'check_violation';
        END IF;
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER incentives_ledgerentry_limits BEFORE INSERT ON incentives_ledgerentry
    FOR EACH ROW EXECUTE FUNCTION repm_ledger_check();
CREATE TRIGGER incentives_ledgerentry_append_only BEFORE UPDATE OR DELETE ON incentives_ledgerentry
    FOR EACH ROW EXECUTE FUNCTION repm_refuse_update_delete();
CREATE TRIGGER incentives_payment_append_only BEFORE UPDATE OR DELETE ON incentives_payment
    FOR EACH ROW EXECUTE FUNCTION repm_refuse_update_delete();
"""

LETTER_GUARD = r"""
CREATE OR REPLACE FUNCTION repm_sanction_letter_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'a sanction letter is never deleted (%)', OLD.number;
    END IF;
    IF OLD.status = 'issued' THEN
        RAISE EXCEPTION 'sanction letter % is issued and immutable; issue a correcting letter', OLD.number;
    END IF;
    IF (NEW.number, NEW.serial, NEW.series_id, NEW.amount, NEW.content, NEW.award_id, NEW.pool,
        NEW.rule_set_id, NEW.claim_type, NEW.claim_id, NEW.dated, NEW.reverses_id, NEW.request_id)
       IS DISTINCT FROM
       (OLD.number, OLD.serial, OLD.series_id, OLD.amount, OLD.content, OLD.award_id, OLD.pool,
        OLD.rule_set_id, OLD.claim_type, OLD.claim_id, OLD.dated, OLD.reverses_id, OLD.request_id) THEN
        RAISE EXCEPTION 'the figures of sanction letter % are fixed at issue', OLD.number;
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER incentives_sanctionletter_guard BEFORE UPDATE OR DELETE ON incentives_sanctionletter
    FOR EACH ROW EXECUTE FUNCTION repm_sanction_letter_guard();

CREATE OR REPLACE FUNCTION repm_letter_series_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'a letter series is never deleted';
    END IF;
    IF NEW.last_serial < OLD.last_serial OR NEW.prefix <> OLD.prefix
       OR NEW.financial_year <> OLD.financial_year THEN
        RAISE EXCEPTION 'a letter series only moves forward';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER incentives_letterseries_guard BEFORE UPDATE OR DELETE ON incentives_letterseries
    FOR EACH ROW EXECUTE FUNCTION repm_letter_series_guard();
"""

REVERSE = """
DROP TRIGGER IF EXISTS incentives_ledgerentry_limits ON incentives_ledgerentry;
DROP TRIGGER IF EXISTS incentives_ledgerentry_append_only ON incentives_ledgerentry;
DROP TRIGGER IF EXISTS incentives_payment_append_only ON incentives_payment;
DROP TRIGGER IF EXISTS incentives_sanctionletter_guard ON incentives_sanctionletter;
DROP TRIGGER IF EXISTS incentives_letterseries_guard ON incentives_letterseries;
DROP FUNCTION IF EXISTS repm_ledger_check();
DROP FUNCTION IF EXISTS repm_sanction_letter_guard();
DROP FUNCTION IF EXISTS repm_letter_series_guard();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("incentives", "0001_initial"),
        ("repm_portal", "0002_append_only_triggers"),
    ]

    operations = [migrations.RunSQL(LEDGER_CHECK + LETTER_GUARD, REVERSE)]
