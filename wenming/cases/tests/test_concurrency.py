"""Real concurrency on PostgreSQL: select_for_update makes simultaneous actions on one case queue up, so no update
is lost and no illegal pair of actions both succeed (DESIGN.md §7)."""

import threading

import pytest
from django.db import connection

from wenming.cases.models import Case
from wenming.cases.workflow import Action, IllegalTransition, Status, transition


def run_together(jobs):
    barrier = threading.Barrier(len(jobs))
    results = [None] * len(jobs)

    def worker(i, job):
        try:
            barrier.wait()
            results[i] = job()
        except Exception as exc:  # noqa: BLE001 - the outcome is what the test inspects
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, job)) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_sign_and_return_race_exactly_one_wins(world):
    for _ in range(3):
        case = world.case(Status.DISPATCHED)
        results = run_together([
            lambda c=case: transition(Case.objects.get(pk=c.pk), Action.SIGN, actor=world.unit_user),
            lambda c=case: transition(Case.objects.get(pk=c.pk), Action.RETURN, actor=world.unit_user, note="非本单位"),
        ])
        failures = [r for r in results if isinstance(r, Exception)]
        assert len(failures) == 1 and isinstance(failures[0], IllegalTransition), results
        case.refresh_from_db()
        assert case.version == 1 and case.events.count() == 2
        assert case.status in (Status.IN_PROGRESS, Status.ACCEPTED)


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_simultaneous_actions_lose_no_update(world):
    case = world.case(Status.IN_PROGRESS)
    n = 8
    results = run_together([
        lambda: transition(Case.objects.get(pk=case.pk), Action.SUPERVISE, actor=world.office, note="督办")
        for _ in range(n)
    ])
    assert not [r for r in results if isinstance(r, Exception)], results
    case.refresh_from_db()
    assert case.version == n and case.events.filter(action=Action.SUPERVISE).count() == n


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_same_seen_version_second_gets_case_changed(world):
    from wenming.cases.workflow import CaseChanged

    case = world.case(Status.IN_PROGRESS)
    results = run_together([
        lambda: transition(Case.objects.get(pk=case.pk), Action.SUPERVISE, actor=world.office, expected_version=0),
        lambda: transition(Case.objects.get(pk=case.pk), Action.EXPOSE, actor=world.office, expected_version=0),
    ])
    failures = [r for r in results if isinstance(r, Exception)]
    assert len(failures) == 1 and isinstance(failures[0], CaseChanged), results
    case.refresh_from_db()
    assert case.version == 1 and case.is_supervised != case.is_exposed
