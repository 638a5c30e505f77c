from django import forms
from django.contrib import admin
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .geometry import GeometryError, bbox_fields, grid_code_problem, parse_polygon, to_geojson
from .models import GridCell, Jurisdiction, JurisdictionKind


def _checked_geometry(value, *, required: bool):
    """Validate a GeoJSON polygon from a form; returns (geojson, shapely geometry) or raises ValidationError."""
    if value in (None, "", {}):
        if required:
            raise forms.ValidationError(gettext("请填写边界（GeoJSON Polygon 或 MultiPolygon）"))
        return None, None
    try:
        geom = parse_polygon(value)
    except GeometryError as exc:
        raise forms.ValidationError(str(exc)) from exc
    return to_geojson(geom), geom


class JurisdictionForm(forms.ModelForm):
    class Meta:
        model = Jurisdiction
        fields = ["code", "name", "kind", "parent", "government", "geometry", "is_demo_geometry"]
        widgets = {"geometry": forms.Textarea(attrs={"rows": 6, "cols": 100})}

    def clean_geometry(self):
        data, _geom = _checked_geometry(self.cleaned_data.get("geometry"), required=False)
        return data


class GridCellForm(forms.ModelForm):
    class Meta:
        model = GridCell
        fields = ["code", "name", "community", "responsible_unit", "geometry", "is_demo"]
        widgets = {"geometry": forms.Textarea(attrs={"rows": 8, "cols": 100})}

    def clean_geometry(self):
        data, geom = _checked_geometry(self.cleaned_data.get("geometry"), required=True)
        self._shape = geom
        return data

    def clean(self):
        cleaned = super().clean()
        community, code = cleaned.get("community"), cleaned.get("code")
        if community is not None and community.kind != JurisdictionKind.COMMUNITY:
            self.add_error("community", gettext("所属辖区应为社区（村）一级"))
        elif code:
            problem = grid_code_problem(code, community.code if community else None)
            if problem:
                self.add_error("code", problem)
        return cleaned

    def save(self, commit=True):
        # The bbox columns serve map and list filters; they must follow every geometry edit.
        geom = getattr(self, "_shape", None)
        if geom is not None:
            for name, value in bbox_fields(geom).items():
                setattr(self.instance, name, value)
        return super().save(commit=commit)


class DistrictFilter(admin.SimpleListFilter):
    title = _("区县")
    parameter_name = "district"

    def lookups(self, request, model_admin):
        return [(j.code, j.name) for j in Jurisdiction.objects.filter(kind=JurisdictionKind.DISTRICT)]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(code__startswith=self.value())
        return queryset


@admin.register(Jurisdiction)
class JurisdictionAdmin(admin.ModelAdmin):
    form = JurisdictionForm
    list_display = ["code", "name", "kind", "parent", "government", "is_demo_geometry"]
    list_filter = ["kind", "is_demo_geometry"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["parent", "government"]
    list_select_related = ["parent", "government"]
    readonly_fields = ["created_at", "updated_at"]

    def get_search_results(self, request, queryset, search_term):
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        # The grid cell form's community picker offers communities only.
        if request.GET.get("model_name") == "gridcell" and request.GET.get("field_name") == "community":
            queryset = queryset.filter(kind=JurisdictionKind.COMMUNITY)
        return queryset, may_have_duplicates


@admin.register(GridCell)
class GridCellAdmin(admin.ModelAdmin):
    form = GridCellForm
    list_display = ["code", "name", "community", "responsible_unit", "is_demo", "updated_at"]
    list_filter = [DistrictFilter, "is_demo"]
    search_fields = ["code", "name", "community__name", "community__code"]
    autocomplete_fields = ["community", "responsible_unit"]
    list_select_related = ["community", "responsible_unit"]
    readonly_fields = ["min_lng", "min_lat", "max_lng", "max_lat", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["code", "name", "community", "responsible_unit", "is_demo"]}),
        (_("边界"), {"fields": ["geometry", ("min_lng", "min_lat", "max_lng", "max_lat")]}),
        (_("记录"), {"fields": ["created_at", "updated_at"]}),
    ]
