from django.urls import path
from django.views.generic import TemplateView

app_name = "improvements"
_todo = TemplateView.as_view(template_name="base.html")
urlpatterns = [
    path("findings/", _todo, name="finding_list"),
    path("exceptions/", _todo, name="exception_list"),
]
