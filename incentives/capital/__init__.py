"""Capital subsidy: the investment ledger a commissioned beneficiary uploads, judged line by line."""
