from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "finres.web.jobs"
    label = "jobs"

    def ready(self) -> None:
        from django.utils.module_loading import autodiscover_modules

        from finres.web.jobs import kinds, queue  # noqa: F401  (the shipped kinds register)

        # Other apps may declare their own kinds in a ``jobs`` module.
        autodiscover_modules("jobs")
        queue.prepare_embedded_folders()
