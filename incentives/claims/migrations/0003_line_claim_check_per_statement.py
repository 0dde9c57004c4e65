"""A line's claim and award are checked once per statement instead of once per line.

A foreign key checks each of a million COPY-ed lines on its own; a statement trigger over
the transition table checks them all in one join, at a fraction of the cost. Claims with
lines can no longer be deleted, as the foreign key's RESTRICT ensured.
"""

from django.db import migrations

SQL = """
ALTER TABLE claims_claimline DROP CONSTRAINT claims_claimline_claim_award_fk;

CREATE FUNCTION claims_lines_belong_to_their_claim() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    stray record;
BEGIN
    SELECT n.claim_id, n.award_id, n.row INTO stray
    FROM new_lines n
    LEFT JOIN claims_claim c ON c.id = n.claim_id AND c.award_id = n.award_id
    WHERE c.id IS NULL
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'claim line (claim %, row %) names award % which is not its claim''s',
            stray.claim_id, stray.row, stray.award_id
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER claims_lines_belong_after_insert
    AFTER INSERT ON claims_claimline REFERENCING NEW TABLE AS new_lines
    FOR EACH STATEMENT EXECUTE FUNCTION claims_lines_belong_to_their_claim();
CREATE TRIGGER claims_lines_belong_after_update
    AFTER UPDATE ON claims_claimline REFERENCING NEW TABLE AS new_lines
    FOR EACH STATEMENT EXECUTE FUNCTION claims_lines_belong_to_their_claim();

CREATE FUNCTION claims_claim_keeps_its_lines() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM claims_claimline WHERE claim_id = OLD.id) THEN
        RAISE EXCEPTION 'claim % has lines; it cannot be deleted', OLD.id
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    IF TG_OP = 'UPDATE' THEN
        RETURN NEW;
    END IF;
    RETURN OLD;
END;
$$;

CREATE TRIGGER claims_claim_keeps_its_lines
    BEFORE DELETE ON claims_claim
    FOR EACH ROW EXECUTE FUNCTION claims_claim_keeps_its_lines();
CREATE TRIGGER claims_claim_keeps_its_lines_identity
    BEFORE UPDATE OF id, award_id ON claims_claim
    FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id OR OLD.award_id IS DISTINCT FROM NEW.award_id)
    EXECUTE FUNCTION claims_claim_keeps_its_lines();
"""

REVERSE_SQL = """
DROP TRIGGER claims_claim_keeps_its_lines_identity ON claims_claim;
DROP TRIGGER claims_claim_keeps_its_lines ON claims_claim;
DROP FUNCTION claims_claim_keeps_its_lines();
DROP TRIGGER claims_lines_belong_after_update ON claims_claimline;
DROP TRIGGER claims_lines_belong_after_insert ON claims_claimline;
DROP FUNCTION claims_lines_belong_to_their_claim();
ALTER TABLE claims_claimline ADD CONSTRAINT claims_claimline_claim_award_fk
    FOREIGN KEY (claim_id, award_id) REFERENCES claims_claim (id, award_id) ON DELETE RESTRICT;
"""


class Migration(migrations.Migration):
    dependencies = [("claims", "0002_line_guards")]

    operations = [migrations.RunSQL(SQL, REVERSE_SQL)]
