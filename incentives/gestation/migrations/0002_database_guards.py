"""The database as last line of defence: evidence kept for good, accepted milestones and commissioning final."""

from django.db import migrations

GUARDS = """
CREATE TRIGGER gestation_milestoneevidence_append_only BEFORE UPDATE OR DELETE
    ON gestation_milestoneevidence FOR EACH ROW EXECUTE FUNCTION repm_refuse_update_delete();

CREATE OR REPLACE FUNCTION gestation_refuse_change_to_accepted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status = 'accepted' THEN
        RAISE EXCEPTION 'Milestone % is accepted; it cannot change', OLD.id
            USING ERRCODE = 'check_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END
$$;

CREATE OR REPLACE FUNCTION gestation_refuse_recommissioning() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.commissioned_on IS NOT NULL
       AND (NEW.commissioned_on IS DISTINCT FROM OLD.commissioned_on
            OR NEW.commissioned_mtpa IS DISTINCT FROM OLD.commissioned_mtpa) THEN
        RAISE EXCEPTION 'Plant % is commissioned; its commissioning cannot change', OLD.id
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER gestation_milestone_final BEFORE UPDATE OR DELETE ON gestation_milestone
    FOR EACH ROW EXECUTE FUNCTION gestation_refuse_change_to_accepted();
CREATE TRIGGER gestation_plant_commissioning_final BEFORE UPDATE ON gestation_plant
    FOR EACH ROW EXECUTE FUNCTION gestation_refuse_recommissioning();
"""

UNDO_GUARDS = """
DROP TRIGGER IF EXISTS gestation_milestoneevidence_append_only ON gestation_milestoneevidence;
DROP TRIGGER IF EXISTS gestation_milestone_final ON gestation_milestone;
DROP TRIGGER IF EXISTS gestation_plant_commissioning_final ON gestation_plant;
DROP FUNCTION IF EXISTS gestation_refuse_change_to_accepted();
DROP FUNCTION IF EXISTS gestation_refuse_recommissioning();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("gestation", "0001_initial"),
        ("repm_portal", "0002_append_only_triggers"),
    ]

    operations = [migrations.RunSQL(GUARDS, UNDO_GUARDS)]
