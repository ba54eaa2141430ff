from django.urls import path

from finres.web.improvements import views

app_name = "improvements"
urlpatterns = [
    path("findings/", views.FindingListView.as_view(), name="finding_list"),
    path("findings/new/", views.FindingCreateView.as_view(), name="finding_create"),
    path(
        "findings/from-result/<int:result_id>/",
        views.FindingCreateView.as_view(),
        name="finding_from_result",
    ),
    path("findings/<int:pk>/", views.FindingDetailView.as_view(), name="finding_detail"),
    path("findings/<int:pk>/edit/", views.FindingEditView.as_view(), name="finding_edit"),
    path("findings/<int:pk>/status/", views.FindingStatusView.as_view(), name="finding_status"),
    path(
        "findings/<int:pk>/milestones/",
        views.MilestoneAddView.as_view(),
        name="milestone_add",
    ),
    path(
        "milestones/<int:pk>/complete/",
        views.MilestoneCompleteView.as_view(),
        name="milestone_complete",
    ),
    path(
        "milestones/<int:pk>/reopen/",
        views.MilestoneReopenView.as_view(),
        name="milestone_reopen",
    ),
    path("exceptions/", views.ExceptionListView.as_view(), name="exception_list"),
    path("exceptions/new/", views.ExceptionCreateView.as_view(), name="exception_create"),
    path(
        "exceptions/from-result/<int:result_id>/",
        views.ExceptionCreateView.as_view(),
        name="exception_from_result",
    ),
    path("exceptions/<int:pk>/", views.ExceptionDetailView.as_view(), name="exception_detail"),
    path("exceptions/<int:pk>/edit/", views.ExceptionEditView.as_view(), name="exception_edit"),
    path(
        "exceptions/<int:pk>/approve/",
        views.ExceptionApproveView.as_view(),
        name="exception_approve",
    ),
    path(
        "exceptions/<int:pk>/reject/",
        views.ExceptionRejectView.as_view(),
        name="exception_reject",
    ),
    path("exceptions/<int:pk>/close/", views.ExceptionCloseView.as_view(), name="exception_close"),
]
