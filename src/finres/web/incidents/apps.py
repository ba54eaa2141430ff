from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "finres.web.incidents"
    label = "incidents"

    def ready(self) -> None:
        from finres.web.incidents import signals

        signals.connect()
