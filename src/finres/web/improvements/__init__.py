"""Findings with improvement plans and milestones, and exceptions (risk acceptances)."""
