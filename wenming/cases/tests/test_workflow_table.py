"""Every (action, state, role) cell of workflow.TABLE: legal ones move the case, the rest are refused unchanged."""

import datetime as dt

import pytest

from wenming.cases.models import CaseEvent
from wenming.cases.workflow import TABLE, Action, IllegalTransition, Status, transition
from wenming.core import clock

ROLES = ["office", "unit", "other_unit", "inspector", "reporter", "system"]


def expected_legal(action, state, who):
    rule = TABLE[action]
    return state in rule.sources and who in rule.roles  # "other_unit" is never a role in the table


def arrange(world, action, state):
    """A case in `state` whose guards pass for `action`, and the data the action needs."""
    fields, data = {}, {}
    if action in (Action.APPROVE_EXTENSION, Action.DENY_EXTENSION):
        fields["extension_requested_until"] = clock.now() + dt.timedelta(days=9)
    case = world.case(state, **fields)
    if action == Action.MERGE:
        data["into"] = world.case(Status.ACCEPTED).pk
    elif action == Action.DISPATCH:
        data["unit"] = world.unit.pk
    elif action == Action.DELEGATE:
        data["unit"] = world.child_unit.pk
    elif action == Action.CONFIRM_ASSIGNMENT:
        CaseEvent.objects.create(case=case, action=Action.RETURN, from_status=Status.DISPATCHED,
                                 to_status=Status.ACCEPTED, actor_role="unit", actor_unit=world.unit)
    elif action == Action.REQUEST_EXTENSION:
        data["working_days"] = 3
    elif action == Action.CALLBACK:
        data["satisfaction"] = 4
    return case, data


@pytest.mark.parametrize("state", Status.values)
@pytest.mark.parametrize("action", list(TABLE))
def test_table_cell(world, frozen_start, action, state):
    for who in ROLES:
        case, data = arrange(world, action, state)
        version, events = case.version, case.events.count()
        kwargs = world.actor_kwargs(who)
        if expected_legal(action, state, who):
            event = transition(case, action, note="情况说明", data=data, **kwargs)
            rule = TABLE[action]
            assert event.from_status == state
            assert case.status == event.to_status == (state if rule.target is None else rule.target), who
            assert case.version == version + 1
            assert event.actor_role == who
            case.refresh_from_db()
            assert case.status == event.to_status
        else:
            with pytest.raises(IllegalTransition) as refused:
                transition(case, action, note="情况说明", data=data, **kwargs)
            expected_code = "illegal_state" if state not in TABLE[action].sources else "forbidden"
            assert refused.value.code == expected_code, (who, refused.value.message)
            case.refresh_from_db()
            assert (case.status, case.version, case.events.count()) == (state, version, events)


def test_refusal_names_the_current_state_in_chinese(world):
    case = world.case(Status.CLOSED)
    with pytest.raises(IllegalTransition) as refused:
        transition(case, Action.SIGN, actor=world.unit_user)
    assert refused.value.message == "当前状态为「已结案」，不能执行「签收」"
    assert str(refused.value) == refused.value.message


def test_refusal_for_the_wrong_unit(world):
    case = world.case(Status.DISPATCHED)
    with pytest.raises(IllegalTransition) as refused:
        transition(case, Action.SIGN, actor=world.other_unit_user)
    assert refused.value.code == "forbidden"
    assert refused.value.message == "您无权对该案件执行「签收」"


def test_unknown_action(world):
    with pytest.raises(IllegalTransition) as refused:
        transition(world.case(), "approve_everything", actor=world.office)
    assert refused.value.code == "unknown_action"
