from django.urls import path

from finres.web.sbom import views

app_name = "sbom"
urlpatterns = [
    path("", views.SbomListView.as_view(), name="list"),
    path("import/", views.SbomImportView.as_view(), name="import"),
    path("rematch/", views.RematchView.as_view(), name="rematch"),
    path("advisories/", views.AdvisoryDataView.as_view(), name="advisories"),
    path("settings/", views.SettingsView.as_view(), name="settings"),
    path("<int:pk>/", views.SbomDetailView.as_view(), name="detail"),
    path("<int:pk>/diff/", views.SbomDiffView.as_view(), name="diff"),
]
