"""A line's claim and award are checked by one composite foreign key: one lookup per line stored."""

from django.db import migrations

SQL = """
ALTER TABLE claims_claim ADD CONSTRAINT claims_claim_id_award UNIQUE (id, award_id);
ALTER TABLE claims_claimline ADD CONSTRAINT claims_claimline_claim_award_fk
    FOREIGN KEY (claim_id, award_id) REFERENCES claims_claim (id, award_id) ON DELETE RESTRICT;
"""

REVERSE_SQL = """
ALTER TABLE claims_claimline DROP CONSTRAINT claims_claimline_claim_award_fk;
ALTER TABLE claims_claim DROP CONSTRAINT claims_claim_id_award;
"""


class Migration(migrations.Migration):
    dependencies = [("claims", "0001_sales_claims")]

    operations = [migrations.RunSQL(SQL, REVERSE_SQL)]
