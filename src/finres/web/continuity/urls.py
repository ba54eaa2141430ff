from django.urls import path

from finres.web.continuity import views

app_name = "continuity"
urlpatterns = [
    path("", views.OverviewView.as_view(), name="overview"),
    path("graph.svg", views.GraphSvgView.as_view(), name="graph_svg"),
    path("graph/export/", views.ExportView.as_view(), name="export"),
    path("graph/import/", views.ImportView.as_view(), name="import"),
    path("services/", views.ServiceListView.as_view(), name="service_list"),
    path("services/new/", views.ServiceEditView.as_view(), name="service_create"),
    path("services/<int:pk>/", views.ServiceDetailView.as_view(), name="service_detail"),
    path("services/<int:pk>/edit/", views.ServiceEditView.as_view(), name="service_edit"),
    path("services/<int:pk>/delete/", views.ServiceDeleteView.as_view(), name="service_delete"),
    path("services/<int:pk>/impacts/", views.ImpactSaveView.as_view(), name="impact_save"),
    path("services/<int:pk>/finding/", views.FindingFromGapView.as_view(), name="finding"),
    path("impacts/<int:pk>/delete/", views.ImpactDeleteView.as_view(), name="impact_delete"),
    path("nodes/", views.NodeListView.as_view(), name="node_list"),
    path("nodes/new/", views.NodeEditView.as_view(), name="node_create"),
    path("nodes/<int:pk>/", views.NodeDetailView.as_view(), name="node_detail"),
    path("nodes/<int:pk>/edit/", views.NodeEditView.as_view(), name="node_edit"),
    path("nodes/<int:pk>/delete/", views.NodeDeleteView.as_view(), name="node_delete"),
    path("nodes/<int:pk>/dependencies/", views.DependencyAddView.as_view(), name="dependency_add"),
    path("nodes/<int:pk>/layers/", views.LayerAddView.as_view(), name="layer_add"),
    path(
        "dependencies/<int:pk>/delete/",
        views.DependencyDeleteView.as_view(),
        name="dependency_delete",
    ),
    path("layers/<int:pk>/delete/", views.LayerDeleteView.as_view(), name="layer_delete"),
    path("scenarios/", views.ScenarioListView.as_view(), name="scenario_list"),
    path("scenarios/new/", views.ScenarioEditView.as_view(), name="scenario_create"),
    path("scenarios/<int:pk>/", views.ScenarioDetailView.as_view(), name="scenario_detail"),
    path("scenarios/<int:pk>/edit/", views.ScenarioEditView.as_view(), name="scenario_edit"),
    path("scenarios/<int:pk>/delete/", views.ScenarioDeleteView.as_view(), name="scenario_delete"),
]
