from django.apps import AppConfig


class ImprovementsConfig(AppConfig):
    name = "finres.web.improvements"
    label = "improvements"
