from django.urls import path

from finres.web.incidents import views

app_name = "incidents"
urlpatterns = [
    path("", views.IncidentListView.as_view(), name="incident_list"),
    path("export/", views.IncidentExportView.as_view(), name="incident_export"),
    path("new/", views.IncidentEditView.as_view(), name="incident_create"),
    path("<int:pk>/", views.IncidentDetailView.as_view(), name="incident_detail"),
    path("<int:pk>/edit/", views.IncidentEditView.as_view(), name="incident_edit"),
    path("<int:pk>/delete/", views.IncidentDeleteView.as_view(), name="incident_delete"),
    path("<int:pk>/timeline/", views.TimelineAddView.as_view(), name="timeline_add"),
    path("<int:pk>/submissions/", views.SubmissionAddView.as_view(), name="submission_add"),
    path("<int:pk>/finding/", views.LessonFindingView.as_view(), name="finding"),
    path("<int:pk>/fire.json", views.FireExportView.as_view(), name="fire"),
    path("<int:pk>/report/", views.ReportView.as_view(), name="report"),
    path("timeline/<int:pk>/delete/", views.TimelineDeleteView.as_view(), name="timeline_delete"),
    path(
        "submissions/<int:pk>/delete/",
        views.SubmissionDeleteView.as_view(),
        name="submission_delete",
    ),
    path("regimes/", views.RegimeListView.as_view(), name="regime_list"),
    path("regimes/new/", views.RegimeEditView.as_view(), name="regime_create"),
    path("regimes/shipped/<slug:regime_id>/", views.ShippedRegimeView.as_view(), name="shipped"),
    path("regimes/<int:pk>/", views.RegimeDetailView.as_view(), name="regime_detail"),
    path("regimes/<int:pk>/edit/", views.RegimeEditView.as_view(), name="regime_edit"),
    path("regimes/<int:pk>/delete/", views.RegimeDeleteView.as_view(), name="regime_delete"),
]
