"""The regulatory library in the database: synced from the validated YAML content."""
