from django.urls import path

from finres.web.registers import views

app_name = "registers"
urlpatterns = [
    path("systems/", views.SystemListView.as_view(), name="system_list"),
    path("systems/new/", views.SystemEditView.as_view(), name="system_create"),
    path("systems/<int:pk>/", views.SystemDetailView.as_view(), name="system_detail"),
    path("systems/<int:pk>/edit/", views.SystemEditView.as_view(), name="system_edit"),
    path("systems/<int:pk>/delete/", views.SystemDeleteView.as_view(), name="system_delete"),
    path("suppliers/", views.SupplierListView.as_view(), name="supplier_list"),
    path("suppliers/new/", views.SupplierEditView.as_view(), name="supplier_create"),
    path("suppliers/<int:pk>/", views.SupplierDetailView.as_view(), name="supplier_detail"),
    path("suppliers/<int:pk>/edit/", views.SupplierEditView.as_view(), name="supplier_edit"),
    path("suppliers/<int:pk>/delete/", views.SupplierDeleteView.as_view(), name="supplier_delete"),
    path(
        "suppliers/<int:pk>/reviews/",
        views.SupplierReviewAddView.as_view(),
        name="supplier_review_add",
    ),
    path("sites/", views.SiteListView.as_view(), name="site_list"),
    path("sites/new/", views.SiteEditView.as_view(), name="site_create"),
    path("sites/<int:pk>/", views.SiteDetailView.as_view(), name="site_detail"),
    path("sites/<int:pk>/edit/", views.SiteEditView.as_view(), name="site_edit"),
    path("sites/<int:pk>/delete/", views.SiteDeleteView.as_view(), name="site_delete"),
    path("<str:register>/export/", views.ExportView.as_view(), name="export"),
    path("<str:register>/import/", views.ImportView.as_view(), name="import"),
    path("facts/", views.FactsView.as_view(), name="facts"),
    path("rules/", views.RulesView.as_view(), name="rules"),
]
