"""下派: a unit hands a case it holds down to one of its child units (workflow.DELEGATE)."""

import json

import pytest
from django.urls import reverse

from wenming.accounts.models import OrgUnit, OrgUnitKind, Role
from wenming.cases.models import Case, Notification
from wenming.cases.notifications import case_act
from wenming.cases.selectors import actions_for
from wenming.cases.workflow import Action, IllegalTransition, Status, transition

from .conftest import make_user

pytestmark = pytest.mark.django_db


def test_delegate_keeps_status_and_deadlines_and_moves_the_case(world, frozen_start):
    case = world.case(Status.DISPATCHED)
    due, sign_due = case.due_at, case.sign_due_at
    event = transition(case, Action.DELEGATE, actor=world.unit_user, note="请街道中队处置",
                       data={"unit": world.child_unit.pk})
    case.refresh_from_db()
    assert case.assigned_unit == world.child_unit
    assert (case.status, case.due_at, case.sign_due_at) == (Status.DISPATCHED, due, sign_due)
    assert event.actor_unit == world.unit and not event.public
    assert event.data["from_unit"] == world.unit.name and event.data["unit"] == world.child_unit.name
    # The child unit now signs it as if dispatched to it; the parent still may act for it.
    child_user = make_user("child", world.child_unit, Role.UNIT)
    transition(case, Action.SIGN, actor=child_user)
    assert case.status == Status.IN_PROGRESS
    transition(case, Action.FEED_BACK, actor=world.unit_user, note="已清理")
    assert case.status == Status.HANDLED


@pytest.mark.parametrize("target", ["self", "other", "parent_of_holder", "missing"])
def test_delegate_only_downwards(world, frozen_start, target):
    case = world.case(Status.IN_PROGRESS)
    unit = {"self": world.unit.pk, "other": world.other_unit.pk, "missing": None,
            "parent_of_holder": OrgUnit.objects.create(name="市政府", kind=OrgUnitKind.LEADERSHIP).pk}[target]
    if target == "parent_of_holder":
        world.unit.parent_id = unit
        world.unit.save()
    with pytest.raises(IllegalTransition) as refused:
        transition(case, Action.DELEGATE, actor=world.unit_user, data={"unit": unit})
    assert refused.value.code == "delegate_target" and "下级单位" in refused.value.message
    case.refresh_from_db()
    assert case.assigned_unit == world.unit and case.events.count() == 1


def test_child_unit_cannot_delegate_sideways_or_up(world, frozen_start):
    sibling = OrgUnit.objects.create(name="芦淞区城管局", kind=OrgUnitKind.DISTRICT_DEPARTMENT, parent=world.unit)
    case = world.case(Status.DISPATCHED, assigned_unit=world.child_unit)
    child_user = make_user("child", world.child_unit, Role.UNIT)
    for unit in (sibling, world.unit):
        with pytest.raises(IllegalTransition):
            transition(case, Action.DELEGATE, actor=child_user, data={"unit": unit.pk})
    assert Action.DELEGATE not in actions_for(case, child_user)  # 荷塘区城管局 has no child unit: no button


def test_unit_delegates_from_the_case_page_and_the_child_unit_is_told(world, client, frozen_start):
    case = world.case(Status.DISPATCHED)
    child_user = make_user("child", world.child_unit, Role.UNIT)
    client.force_login(world.unit_user)
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert 'id="action-delegate"' in page and world.child_unit.name in page
    assert world.other_unit.name not in page.split('id="action-delegate"')[1].split("</form>")[0]
    r = client.post(reverse("cases:act", args=[case.pk, "delegate"]),
                    {"delegate-version": case.version, "delegate-unit": world.child_unit.pk,
                     "delegate-note": "请中队今日处置"})
    assert r.status_code in (200, 302)
    case.refresh_from_db()
    assert case.assigned_unit == world.child_unit
    notice = Notification.objects.get(recipient=child_user)
    assert "下派" in notice.message and world.unit.name in notice.message
    client.force_login(child_user)
    assert case.tracking_code in client.get(reverse("cases:unit")).content.decode()


def test_a_bad_target_from_the_page_changes_nothing(world, client, frozen_start):
    case = world.case(Status.DISPATCHED)
    client.force_login(world.unit_user)
    r = client.post(reverse("cases:act", args=[case.pk, "delegate"]),
                    {"delegate-version": case.version, "delegate-unit": world.other_unit.pk})
    assert "只能下派给本单位的下级单位" in r.content.decode()
    assert Case.objects.get(pk=case.pk).assigned_unit == world.unit


def test_case_act_service_path(world, frozen_start):
    """The pages' service wrapper (notifications included) takes the same action."""
    case = world.case(Status.IN_PROGRESS)
    case_act(case, Action.DELEGATE, actor=world.unit_user, data={"unit": world.child_unit})
    assert Case.objects.get(pk=case.pk).assigned_unit == world.child_unit


def test_delegate_through_the_api(world, client, frozen_start):
    from wenming.api.models import ApiToken

    _t, raw = ApiToken.issue(name="unit", scopes=["read_public", "act_for_unit"], user=world.unit_user)
    case = world.case(Status.IN_PROGRESS)
    r = client.post(f"/api/v1/cases/{case.pk}/actions", json.dumps({"action": "delegate",
                                                                      "unit_id": world.child_unit.pk}),
                    content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert r.status_code == 200, r.content
    assert r.json()["assigned_unit"]["id"] == world.child_unit.pk
    r = client.post(f"/api/v1/cases/{case.pk}/actions", json.dumps({"action": "delegate",
                                                                      "unit_id": world.other_unit.pk}),
                    content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert r.status_code in (400, 403, 409) and "下级单位" in r.json()["message"]
