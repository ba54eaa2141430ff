"""The FinRes web application: Django project (settings, URLs) and its domain apps."""
