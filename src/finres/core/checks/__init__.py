"""Automated technical verification: checks a machine can decide, and what they cannot."""
