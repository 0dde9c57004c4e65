"""Sales-claim uploads: the column dictionary, safe reading and vectorised validation."""
