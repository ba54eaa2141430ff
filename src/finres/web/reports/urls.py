from django.urls import path

from finres.web.reports import views

app_name = "reports"
urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("group/", views.GroupView.as_view(), name="group"),
    path("reports/", views.IndexView.as_view(), name="index"),
    path("reports/board/new/", views.BoardReportCreateView.as_view(), name="board_create"),
    path("reports/board/<int:pk>/", views.BoardReportDetailView.as_view(), name="board_detail"),
    path("reports/board/<int:pk>/edit/", views.BoardReportUpdateView.as_view(), name="board_edit"),
    path(
        "reports/board/<int:pk>/finalise/",
        views.BoardReportFinaliseView.as_view(),
        name="board_finalise",
    ),
    path(
        "reports/board/<int:pk>/delete/", views.BoardReportDeleteView.as_view(), name="board_delete"
    ),
    path("reports/board/<int:pk>/pdf/", views.BoardReportPdfView.as_view(), name="board_pdf"),
    path("reports/board/<int:pk>/docx/", views.BoardReportDocxView.as_view(), name="board_docx"),
    path(
        "reports/declarations/new/",
        views.DeclarationCreateView.as_view(),
        name="declaration_create",
    ),
    path(
        "reports/declarations/<int:pk>/",
        views.DeclarationDetailView.as_view(),
        name="declaration_detail",
    ),
    path(
        "reports/declarations/<int:pk>/edit/",
        views.DeclarationUpdateView.as_view(),
        name="declaration_edit",
    ),
    path(
        "reports/declarations/<int:pk>/finalise/",
        views.DeclarationFinaliseView.as_view(),
        name="declaration_finalise",
    ),
    path(
        "reports/declarations/<int:pk>/delete/",
        views.DeclarationDeleteView.as_view(),
        name="declaration_delete",
    ),
    path(
        "reports/declarations/<int:pk>/pdf/",
        views.DeclarationPdfView.as_view(),
        name="declaration_pdf",
    ),
    path(
        "reports/declarations/<int:pk>/docx/",
        views.DeclarationDocxView.as_view(),
        name="declaration_docx",
    ),
]
