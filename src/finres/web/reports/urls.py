from django.urls import path
from django.views.generic import TemplateView

app_name = "reports"
_todo = TemplateView.as_view(template_name="base.html")
urlpatterns = [
    path("", _todo, name="dashboard"),
    path("reports/", _todo, name="index"),
]
