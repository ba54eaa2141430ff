"""FinRes: cyber-resilience and compliance for financial institutions."""

__version__ = "0.1.0"
