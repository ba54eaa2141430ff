"""Registers of information systems and assets, sites and suppliers (operational resilience)."""
