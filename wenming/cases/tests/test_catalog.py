"""The per-process category catalogue that report intake reads (cases.catalog, a core.snapshot.ProcessSnapshot):
never staler than the promise — this process's own changes at once, other processes' within check_seconds."""

import pytest

from wenming.cases import catalog
from wenming.cases.models import Category

pytestmark = pytest.mark.django_db


def test_own_changes_are_seen_at_once(world):
    assert catalog.active_category("SJ0401") == world.category
    world.category.is_active = False
    world.category.save()
    assert catalog.active_category("SJ0401") is None
    world.category.is_active = True
    world.category.is_public = False
    world.category.save()
    assert catalog.active_category("SJ0401") == world.category
    assert catalog.public_category("SJ0401") is None
    world.category.delete()
    assert catalog.active_category("SJ0401") is None


def test_other_processes_changes_are_seen_within_check_seconds(world, monkeypatch):
    """A queryset update sends no signal, like a write by another server process: the fingerprint catches it."""
    monkeypatch.setattr(catalog.snapshot, "uncommitted", False)  # as after the categories were committed
    assert catalog.active_category("SJ0401") == world.category
    Category.objects.filter(pk=world.category.pk).update(
        is_active=False, updated_at=world.category.updated_at.replace(year=2100)
    )
    monkeypatch.setattr(catalog.snapshot, "check_seconds", 0)
    assert catalog.active_category("SJ0401") is None


def test_unknown_and_empty_codes(world):
    assert catalog.active_category("NOPE") is None
    assert catalog.active_category("") is None and catalog.active_category(None) is None


def test_report_through_the_api_refuses_a_category_switched_off_meanwhile(world, client):
    """The page and the API decide by the same catalogue: a category switched off here is refused at once."""
    world.category.is_active = False
    world.category.save()
    r = client.post("/api/v1/cases", {"category": "SJ0401", "description": "人行道上有流动摊贩占道经营",
                                      "lat": 27.83, "lng": 113.13}, content_type="application/json")
    assert r.status_code == 400 and r.json()["code"] == "invalid"
