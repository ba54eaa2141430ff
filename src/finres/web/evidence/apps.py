from django.apps import AppConfig


class EvidenceConfig(AppConfig):
    name = "finres.web.evidence"
    label = "evidence"
