"""The pure core of FinRes: library, rules, tiers and applicability.

Nothing in this package imports a web framework: the CLI, the web application and the tests all
call the same functions with plain data.
"""
