"""Open data: every OCDS release of a tender kept from tender to the last payment, and public datasets."""
