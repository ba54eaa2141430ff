from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "finres.web.assessments"
    label = "assessments"
