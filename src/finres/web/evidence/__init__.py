"""Evidence: files (checked, stored under generated names, SHA-256) and links, reviewed and
linked to the requirement results they support."""
