from django.urls import path

from finres.web.crypto import views

app_name = "crypto"
urlpatterns = [
    path("", views.AssetListView.as_view(), name="asset_list"),
    path("assets/new/", views.AssetEditView.as_view(), name="asset_create"),
    path("assets/<int:pk>/", views.AssetDetailView.as_view(), name="asset_detail"),
    path("assets/<int:pk>/edit/", views.AssetEditView.as_view(), name="asset_edit"),
    path("assets/<int:pk>/delete/", views.AssetDeleteView.as_view(), name="asset_delete"),
    path("systems/<int:pk>/risk/", views.RiskView.as_view(), name="risk"),
    path("plan/", views.PlanView.as_view(), name="plan"),
    path("plan/milestones/", views.PlanMilestonesView.as_view(), name="plan_milestones"),
    path("cbom/export/", views.CbomExportView.as_view(), name="cbom_export"),
    path("cbom/import/", views.CbomImportView.as_view(), name="cbom_import"),
    path("export/", views.TableExportView.as_view(), name="export"),
    path("import/", views.TableImportView.as_view(), name="import"),
]
