from django.urls import path
from django.views.generic import TemplateView

app_name = "evidence"
_todo = TemplateView.as_view(template_name="base.html")
urlpatterns = [
    path("", _todo, name="list"),
]
