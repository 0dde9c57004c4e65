"""Gestation: each award's plant, its milestones with evidence, and the delay penalty."""
