from django.apps import AppConfig


class ChecksConfig(AppConfig):
    name = "finres.web.checks"
    label = "checks"
    default_auto_field = "django.db.models.BigAutoField"
