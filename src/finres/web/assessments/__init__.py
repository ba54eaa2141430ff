"""Compliance assessments, requirement results, evidence, mapped proposals and maturity."""
