"""Deductions netted: a netting entry settles a penalty or recovery; a letter fixes what it netted."""

from django.conf import settings
from django.db import migrations, models

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
        -- What is paid against a letter never passes what it sanctioned less what it netted.
        SELECT amount - deducted INTO lim FROM incentives_sanctionletter WHERE id = NEW.letter_id FOR UPDATE;
        SELECT COALESCE(SUM(amount), 0) + NEW.amount INTO total
          FROM incentives_ledgerentry WHERE account = 'payment' AND letter_id = NEW.letter_id;
        IF total > lim THEN
            RAISE EXCEPTION 'ledger: payments against letter % would reach %, past its amount less deductions netted %',
                NEW.letter_id, total, lim USING ERRCODE = 'check_violation';
        END IF;
    ELSIF NEW.kind = 'netting' THEN
        -- A deduction is never netted past what is outstanding on the award's account.
        PERFORM pg_advisory_xact_lock(hashtext('repm-ledger-deductions'), NEW.award_id::int);
        SELECT COALESCE(SUM(amount), 0) + NEW.amount INTO total
          FROM incentives_ledgerentry WHERE account = NEW.account AND award_id = NEW.award_id;
        IF total < 0 THEN
            RAISE EXCEPTION 'ledger: netting would take award %''s % account to %, below zero',
                NEW.award_id, NEW.account, total USING ERRCODE = 'check_violation';
        END IF;
    END IF;
    RETURN NEW;
END;
$$;
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
    IF (NEW.number, NEW.serial, NEW.series_id, NEW.amount, NEW.deducted, NEW.content, NEW.award_id,
        NEW.pool, NEW.rule_set_id, NEW.claim_type, NEW.claim_id, NEW.dated, NEW.reverses_id,
        NEW.request_id)
       IS DISTINCT FROM
       (OLD.number, OLD.serial, OLD.series_id, OLD.amount, OLD.deducted, OLD.content, OLD.award_id,
        OLD.pool, OLD.rule_set_id, OLD.claim_type, OLD.claim_id, OLD.dated, OLD.reverses_id,
        OLD.request_id) THEN
        RAISE EXCEPTION 'the figures of sanction letter % are fixed at issue', OLD.number;
    END IF;
    RETURN NEW;
END;
$$;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("bidding", "0005_award_letters_on_jobs"),
        ("incentives", "0003_letters_and_requests_on_jobs"),
        ("repm_portal", "0004_jobs"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="ledgerentry",
            name="ledger_sign_and_account",
        ),
        migrations.AddField(
            model_name="sanctionletter",
            name="deducted",
            field=models.DecimalField(
                decimal_places=2,
                default=0,
                help_text="Penalties and recoveries netted from this letter's payout, fixed at issue",
                max_digits=18,
            ),
        ),
        migrations.AlterField(
            model_name="ledgerentry",
            name="account",
            field=models.CharField(
                choices=[
                    ("sanction", "Sanction"),
                    ("payment", "Payment"),
                    ("penalty", "Penalty"),
                    ("recovery", "Recovery"),
                    ("reversal", "Reversal"),
                    ("netting", "Deduction netted"),
                ],
                help_text="The balance this entry counts in: its kind, or for a reversal the kind it reverses",
                max_length=10,
            ),
        ),
        migrations.AlterField(
            model_name="ledgerentry",
            name="kind",
            field=models.CharField(
                choices=[
                    ("sanction", "Sanction"),
                    ("payment", "Payment"),
                    ("penalty", "Penalty"),
                    ("recovery", "Recovery"),
                    ("reversal", "Reversal"),
                    ("netting", "Deduction netted"),
                ],
                max_length=10,
            ),
        ),
        migrations.AddConstraint(
            model_name="ledgerentry",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(
                        ("amount__lt", 0),
                        ("kind", "reversal"),
                        ("reverses__isnull", False),
                        models.Q(("account", "reversal"), _negated=True),
                    ),
                    models.Q(
                        ("account__in", ["penalty", "recovery"]),
                        ("amount__lt", 0),
                        ("kind", "netting"),
                        ("reverses__isnull", True),
                    ),
                    models.Q(
                        models.Q(("kind__in", ["reversal", "netting"]), _negated=True),
                        ("account", models.F("kind")),
                        ("amount__gt", 0),
                        ("reverses__isnull", True),
                    ),
                    _connector="OR",
                ),
                name="ledger_sign_and_account",
            ),
        ),
        migrations.AddConstraint(
            model_name="sanctionletter",
            constraint=models.CheckConstraint(
                condition=models.Q(("deducted__gte", 0), ("deducted__lte", models.F("amount"))),
                name="sanction_letter_deducted_within_amount",
            ),
        ),
        migrations.RunSQL(LEDGER_CHECK + LETTER_GUARD, migrations.RunSQL.noop),
    ]
