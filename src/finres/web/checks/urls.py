from django.urls import path

from finres.web.checks import views

app_name = "checks"
urlpatterns = [
    path("", views.TargetListView.as_view(), name="target_list"),
    path("run-all/", views.RunAllView.as_view(), name="run_all"),
    path("targets/new/", views.TargetEditView.as_view(), name="target_create"),
    path("targets/<int:pk>/", views.TargetDetailView.as_view(), name="target_detail"),
    path("targets/<int:pk>/edit/", views.TargetEditView.as_view(), name="target_edit"),
    path("targets/<int:pk>/delete/", views.TargetDeleteView.as_view(), name="target_delete"),
    path("targets/<int:pk>/run/", views.TargetRunView.as_view(), name="target_run"),
    path("runs/<int:pk>/", views.RunDetailView.as_view(), name="run_detail"),
]
