from django.urls import path

from finres.web.assessments import views

app_name = "assessments"
urlpatterns = [
    path("", views.AssessmentListView.as_view(), name="list"),
    path("new/", views.AssessmentCreateView.as_view(), name="create"),
    path("onboarding/", views.OnboardingView.as_view(), name="onboarding"),
    path(
        "onboarding/snapshot/", views.OnboardingSnapshotView.as_view(), name="onboarding_snapshot"
    ),
    path("onboarding/create/", views.OnboardingCreateView.as_view(), name="onboarding_create"),
    path("<int:pk>/", views.AssessmentDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.AssessmentEditView.as_view(), name="edit"),
    path("<int:pk>/status/", views.AssessmentStatusView.as_view(), name="status"),
    path("<int:pk>/align/", views.AlignView.as_view(), name="align"),
    path("<int:pk>/propose/", views.ProposeView.as_view(), name="propose"),
    path("<int:pk>/proposals/", views.ProposalListView.as_view(), name="proposals"),
    path("<int:pk>/proposals/accept/", views.AcceptAllProposalsView.as_view(), name="accept_all"),
    path("<int:pk>/soa/", views.SoAView.as_view(), name="soa"),
    path("<int:pk>/soa.xlsx", views.SoAExportView.as_view(), name="soa_export"),
    path("results/<int:pk>/", views.ResultDetailView.as_view(), name="result"),
    path("results/<int:pk>/row/", views.ResultRowView.as_view(), name="result_row"),
    path("results/<int:pk>/accept/", views.AcceptProposalView.as_view(), name="result_accept"),
    path(
        "results/<int:pk>/override/", views.OverrideProposalView.as_view(), name="result_override"
    ),
    path("results/<int:pk>/soa/", views.SoARowView.as_view(), name="soa_row"),
]
