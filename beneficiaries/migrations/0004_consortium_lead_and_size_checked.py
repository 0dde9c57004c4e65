"""The consortium check also fires when the lead changes, and a consortium needs two members."""

from django.db import migrations

CHECK = """
CREATE OR REPLACE FUNCTION beneficiaries_check_consortium() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    cid bigint;
    members integer;
    total numeric;
    lead_share numeric;
    lead_min numeric;
BEGIN
    IF TG_TABLE_NAME = 'beneficiaries_consortium' THEN
        cid := NEW.id;
    ELSE
        cid := COALESCE(NEW.consortium_id, OLD.consortium_id);
    END IF;
    IF NOT EXISTS (SELECT 1 FROM beneficiaries_consortium WHERE id = cid) THEN
        RETURN NULL;  -- the consortium itself was deleted
    END IF;
    SELECT count(*), COALESCE(SUM(equity_pct), 0) INTO members, total
      FROM beneficiaries_consortiummember WHERE consortium_id = cid;
    SELECT m.equity_pct INTO lead_share
      FROM beneficiaries_consortiummember m
      JOIN beneficiaries_consortium c ON c.id = m.consortium_id AND c.lead_id = m.firm_id
     WHERE m.consortium_id = cid;
    IF members < 2 THEN
        RAISE EXCEPTION 'Consortium %: a consortium needs at least two member firms', cid
            USING ERRCODE = 'check_violation';
    END IF;
    IF total <> 100 THEN
        RAISE EXCEPTION 'Consortium %: equity shares add up to % %%, not 100 %%', cid, total
            USING ERRCODE = 'check_violation';
    END IF;
    -- The minimum comes from the rule set in force today, so an amendment moves it here too.
    SELECT r.consortium_lead_min_pct INTO lead_min
      FROM repm_portal_ruleset r JOIN repm_portal_scheme s ON s.id = r.scheme_id
     WHERE s.code = 'REPM' AND r.effective_from <= CURRENT_DATE
     ORDER BY r.effective_from DESC LIMIT 1;
    lead_min := COALESCE(lead_min, 51);
    IF lead_share IS NULL OR lead_share < lead_min THEN
        RAISE EXCEPTION 'Consortium %: the lead must be a member holding at least % %%', cid, lead_min
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END
$$;
CREATE CONSTRAINT TRIGGER consortium_lead_valid
    AFTER INSERT OR UPDATE OF lead_id ON beneficiaries_consortium
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION beneficiaries_check_consortium();
"""

UNDO = "DROP TRIGGER IF EXISTS consortium_lead_valid ON beneficiaries_consortium;"


class Migration(migrations.Migration):
    dependencies = [("beneficiaries", "0003_foreign_registration_unique_created_by_blank")]

    operations = [migrations.RunSQL(CHECK, UNDO)]
