"""API endpoints of this app (registered on finres.web.api.router)."""
