from django.urls import path

from . import views

app_name = "geo"
urlpatterns = [
    path("", views.grid_map, name="map"),
    path("cells.geojson", views.cells_geojson, name="cells"),
    path("jurisdictions.geojson", views.jurisdictions_geojson, name="jurisdictions"),
    path("locate", views.locate_point, name="locate"),
]
