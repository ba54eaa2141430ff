from django.urls import path

from finres.web.evidence import views

app_name = "evidence"
urlpatterns = [
    path("", views.EvidenceListView.as_view(), name="list"),
    path("expiring/", views.ExpiringView.as_view(), name="expiring"),
    path("new/", views.EvidenceCreateView.as_view(), name="create"),
    path("<int:pk>/", views.EvidenceDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.EvidenceEditView.as_view(), name="edit"),
    path("<int:pk>/new-version/", views.NewVersionView.as_view(), name="new_version"),
    path("<int:pk>/delete/", views.EvidenceDeleteView.as_view(), name="delete"),
    path("<int:pk>/review/", views.ReviewView.as_view(), name="review"),
    path("<int:pk>/verify/", views.VerifyView.as_view(), name="verify"),
    path("<int:pk>/download/", views.DownloadView.as_view(), name="download"),
    path("<int:pk>/links/search/", views.LinkSearchView.as_view(), name="link_search"),
    path("<int:pk>/links/add/", views.LinkAddView.as_view(), name="link_add"),
    path(
        "<int:pk>/links/<int:link_pk>/remove/",
        views.LinkRemoveView.as_view(),
        name="link_remove",
    ),
    path(
        "assessments/<int:pk>/export.xlsx",
        views.AssessmentExportView.as_view(),
        name="assessment_export",
    ),
    path("assessments/<int:pk>/gaps.xlsx", views.GapReportView.as_view(), name="gap_report"),
    path(
        "assessments/<int:pk>/import/",
        views.AssessmentImportView.as_view(),
        name="assessment_import",
    ),
]
