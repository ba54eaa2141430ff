"""Organisations (with their group structure and profile), people and their roles."""
