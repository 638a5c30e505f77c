"""Every inspections model has a working admin; a frozen checklist is read-only there."""

import pytest
from django.contrib import admin
from django.urls import reverse

from wenming.accounts.models import User
from wenming.inspections import models as m


@pytest.fixture
def superuser(world):
    return User.objects.create_superuser("root", password="pw-" + "x" * 12)


MODELS = [m.PointType, m.InspectionPoint, m.Checklist, m.ChecklistItem, m.GradeBand, m.Round, m.Inspection,
          m.ItemScore, m.ItemPhoto]


def test_models_registered_and_pages_render(client, world, superuser):
    point = world.point("荷塘农贸市场")
    rnd = world.round([point])
    world.score_all(rnd, point, passed=True)
    client.force_login(superuser)
    registered = {model for model in admin.site._registry if model._meta.app_label == "inspections"}
    assert {m.PointType, m.InspectionPoint, m.Checklist, m.ChecklistItem, m.GradeBand, m.Round, m.Inspection, m.ItemScore,
            m.ItemPhoto} <= registered
    for model in registered:
        info = model._meta.app_label, model._meta.model_name
        assert client.get(reverse(f"admin:{info[0]}_{info[1]}_changelist")).status_code == 200
        obj = model.objects.first()
        if obj is not None:
            assert client.get(reverse(f"admin:{info[0]}_{info[1]}_change", args=[obj.pk])).status_code == 200
    frozen = rnd.checklist_for(point.point_type_id)
    body = client.get(reverse("admin:inspections_checklist_change", args=[frozen.pk])).content.decode()
    assert 'name="items-0-points"' not in body  # items are read-only once frozen
