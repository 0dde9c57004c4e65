"""The database keeps what the bank was told: an instruction's figures never change, a final one not at all.

- No instruction, run or return file is deleted.
- An instruction's id, run, letter, account details and amount are fixed when it is prepared.
- An instruction that is paid, failed or cancelled never changes (a failure is re-issued anew).
"""

from django.db import migrations

GUARD = r"""
CREATE OR REPLACE FUNCTION repm_payment_instruction_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'payment instruction % is never deleted', OLD.instruction_id;
    END IF;
    IF OLD.status IN ('paid', 'failed', 'cancelled') THEN
        RAISE EXCEPTION 'payment instruction % is final (%) and never changes; re-issue it instead',
            OLD.instruction_id, OLD.status USING ERRCODE = 'check_violation';
    END IF;
    IF (NEW.instruction_id, NEW.run_id, NEW.position, NEW.letter_id, NEW.bank_account_id,
        NEW.beneficiary_name, NEW.account_holder, NEW.account_number, NEW.ifsc, NEW.bank_name,
        NEW.amount, NEW.narration, NEW.reissues_id)
       IS DISTINCT FROM
       (OLD.instruction_id, OLD.run_id, OLD.position, OLD.letter_id, OLD.bank_account_id,
        OLD.beneficiary_name, OLD.account_holder, OLD.account_number, OLD.ifsc, OLD.bank_name,
        OLD.amount, OLD.narration, OLD.reissues_id) THEN
        RAISE EXCEPTION 'payment instruction % keeps the figures it was prepared with',
            OLD.instruction_id USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION repm_payment_refuse_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% rows are never deleted', TG_TABLE_NAME;
END $$;

CREATE TRIGGER payments_instruction_guard BEFORE UPDATE OR DELETE ON payments_paymentinstruction
    FOR EACH ROW EXECUTE FUNCTION repm_payment_instruction_guard();
CREATE TRIGGER payments_run_no_delete BEFORE DELETE ON payments_paymentrun
    FOR EACH ROW EXECUTE FUNCTION repm_payment_refuse_delete();
CREATE TRIGGER payments_return_file_append_only BEFORE UPDATE OR DELETE ON payments_bankreturnfile
    FOR EACH ROW EXECUTE FUNCTION repm_refuse_update_delete();
"""

UNGUARD = r"""
DROP TRIGGER IF EXISTS payments_instruction_guard ON payments_paymentinstruction;
DROP TRIGGER IF EXISTS payments_run_no_delete ON payments_paymentrun;
DROP TRIGGER IF EXISTS payments_return_file_append_only ON payments_bankreturnfile;
DROP FUNCTION IF EXISTS repm_payment_instruction_guard();
DROP FUNCTION IF EXISTS repm_payment_refuse_delete();
"""


class Migration(migrations.Migration):
    dependencies = [("payments", "0001_initial")]

    operations = [migrations.RunSQL(GUARD, UNGUARD)]
