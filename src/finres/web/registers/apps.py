from django.apps import AppConfig


class RegistersConfig(AppConfig):
    name = "finres.web.registers"
    label = "registers"

    def ready(self) -> None:
        from finres.web.registers import signals

        signals.connect()
