"""Dashboards, charts, the CISO's board report, the annual declaration and exports."""
