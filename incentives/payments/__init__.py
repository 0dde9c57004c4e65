"""Payments through the bank's file: payment runs, their instructions, and the bank's return files."""
