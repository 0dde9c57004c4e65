"""Sales claims: claim periods, invoice-line uploads validated and stored all or nothing."""
