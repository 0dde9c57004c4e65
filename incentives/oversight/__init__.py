"""Oversight: the registers and working sheets auditors and officials export."""
