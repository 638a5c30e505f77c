"""Property: whatever random actors try in whatever order, the event log explains the case.

Replaying the from_status → to_status chain of the events gives the current status; each counter equals the
number of events of its kind; refused actions leave no trace.
"""

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import event as note_outcome
from hypothesis import strategies as st

from wenming.cases.models import Case
from wenming.cases.workflow import (
    TABLE,
    Action,
    Actor,
    Status,
    WorkflowError,
    legal_actions,
    reopen_events_filter,
    transition,
)
from wenming.core import clock

from .conftest import START

FORWARD_FIRST = [
    Action.ACCEPT, Action.DISPATCH, Action.SIGN, Action.FEED_BACK, Action.VERIFY_PASS, Action.CALLBACK,
    Action.VERIFY_FAIL, Action.RESUME, Action.REQUEST_EXTENSION, Action.APPROVE_EXTENSION, Action.RETURN,
    Action.CONFIRM_ASSIGNMENT, Action.REOPEN, Action.SUSPEND, Action.DENY_EXTENSION, Action.SUPERVISE, Action.EXPOSE,
    Action.REJECT, Action.MERGE, Action.DELEGATE,
]
SIDE_ACTIONS = {Action.REJECT, Action.MERGE, Action.SUPERVISE, Action.EXPOSE, Action.DELEGATE}
ROLES = ["office", "unit", "other_unit", "inspector", "reporter", "system"]

step = st.tuples(
    # An int steers towards deep states: an action legal now, by a role allowed to take it (most of the time).
    st.one_of(st.integers(0, 99), st.integers(0, 99), st.integers(0, 99), st.sampled_from(sorted(TABLE))),
    st.sampled_from(ROLES),
    st.integers(min_value=1, max_value=5),  # satisfaction for callbacks
    st.integers(min_value=0, max_value=30),  # hours that pass before the step
    st.booleans(),  # whether the actor passes the version they saw
)


@pytest.mark.django_db
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(step, min_size=5, max_size=40))
def test_event_log_replays_to_current_state(world, steps):
    moment = START
    with clock.frozen(moment):
        case = world.case(Status.REPORTED)
        original = world.case(Status.ACCEPTED)
    for pick, who, satisfaction, hours, pass_version in steps:
        moment += dt.timedelta(hours=hours)
        if isinstance(pick, int):
            legal = sorted(legal_actions(case.status, Actor.values), key=FORWARD_FIRST.index)
            if pick % 7 != 6:  # side actions only now and then, so most runs get deep into the loop
                legal = [a for a in legal if a not in SIDE_ACTIONS] or legal
            action = legal[pick % len(legal)] if legal else Action.ACCEPT
            allowed = sorted(TABLE[action].roles)
            who = who if pick % 10 == 9 else allowed[pick % len(allowed)]
        else:
            action = pick
        data = {
            Action.DISPATCH: {"unit": world.unit.pk},
            Action.DELEGATE: {"unit": world.child_unit.pk},
            Action.MERGE: {"into": original.pk},
            Action.REQUEST_EXTENSION: {"working_days": 2},
            Action.CALLBACK: {"satisfaction": satisfaction},
        }.get(action, {})
        before = (case.status, case.version, case.events.count())
        try:
            with clock.frozen(moment):
                transition(case, action, note="说明", data=data, expected_version=case.version if pass_version else None,
                           **world.actor_kwargs(who))
        except WorkflowError:
            case.refresh_from_db()
            assert (case.status, case.version, case.events.count()) == before

    case = Case.objects.get(pk=case.pk)
    events = list(case.events.order_by("at", "pk"))
    state = ""
    for event in events:
        assert event.from_status == state
        state = event.to_status
    assert state == case.status
    note_outcome(f"final state: {case.status}")
    note_outcome(f"rework/return/extension/reopen > 0: {bool(case.rework_count or case.return_count or case.extension_count or case.reopen_count)}")
    assert case.version == len(events) - 1  # every event but the report is one transition
    count = case.events.filter
    assert case.rework_count == count(action=Action.VERIFY_FAIL).count()
    assert case.return_count == count(action=Action.RETURN).count()
    assert case.extension_count == count(action=Action.APPROVE_EXTENSION).count()
    assert case.reopen_count == case.events.filter(reopen_events_filter()).count()
    assert case.is_supervised == count(action=Action.SUPERVISE).exists()
    assert case.is_exposed == count(action=Action.EXPOSE).exists()
    assert (case.merged_into_id == original.pk) == (case.status == Status.MERGED)
