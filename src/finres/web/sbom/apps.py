from django.apps import AppConfig


class SbomConfig(AppConfig):
    name = "finres.web.sbom"
    label = "sbom"
    default_auto_field = "django.db.models.BigAutoField"
