from django.apps import AppConfig


class ContinuityConfig(AppConfig):
    name = "finres.web.continuity"
    label = "continuity"

    def ready(self) -> None:
        from finres.web.continuity import signals

        signals.connect()
