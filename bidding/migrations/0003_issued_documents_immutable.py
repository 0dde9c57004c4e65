"""Awards are never edited, and a Letter of Award, once issued, neither changes nor disappears."""

from django.db import migrations

GUARDS = """
CREATE TRIGGER bidding_award_append_only BEFORE UPDATE OR DELETE ON bidding_award
    FOR EACH ROW EXECUTE FUNCTION repm_refuse_update_delete();

CREATE OR REPLACE FUNCTION bidding_letter_immutable_once_issued() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status = 'issued' THEN
        RAISE EXCEPTION 'Letter of Award % is issued: % refused', OLD.number, TG_OP
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Issue a new letter that revokes this one.';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER bidding_awardletter_immutable BEFORE UPDATE OR DELETE ON bidding_awardletter
    FOR EACH ROW EXECUTE FUNCTION bidding_letter_immutable_once_issued();
"""

UNDO = """
DROP TRIGGER IF EXISTS bidding_award_append_only ON bidding_award;
DROP TRIGGER IF EXISTS bidding_awardletter_immutable ON bidding_awardletter;
DROP FUNCTION IF EXISTS bidding_letter_immutable_once_issued();
"""


class Migration(migrations.Migration):
    dependencies = [("bidding", "0002_database_guards")]

    operations = [migrations.RunSQL(GUARDS, UNDO)]
