"""The regulatory library: framework files, mapping sets, loading and validation."""
