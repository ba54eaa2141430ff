from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "finres.web.reports"
    label = "reports"
