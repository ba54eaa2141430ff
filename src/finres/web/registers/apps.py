from django.apps import AppConfig
from django.core.exceptions import ImproperlyConfigured


class RegistersConfig(AppConfig):
    name = "finres.web.registers"
    label = "registers"

    def ready(self) -> None:
        from finres.web.registers import signals

        signals.connect()
        check_tiering()


def check_tiering() -> None:
    """The supplier tiering rules are read and validated when the application starts: a broken
    ``FINRES_SUPPLIER_TIERING`` file stops it with every problem named, not a page later."""
    from finres.core.registers import TieringError
    from finres.web.registers.models import tiering

    try:
        tiering()
    except TieringError as error:
        raise ImproperlyConfigured(f"FINRES_SUPPLIER_TIERING: {error}") from None
