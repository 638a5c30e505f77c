"""`wenming demo` — the README's run command depends on it being complete and safe to run twice."""

import io

import pytest
from django.core.management import call_command

from wenming.accounts.models import Role, User
from wenming.cases.models import Case
from wenming.geo.models import GridCell
from wenming.plans.models import Plan, ProgressReport, Target
from wenming.portal.demo import DEMO_LOGINS, DEMO_PASSWORD


def run_demo(today="2019-10-15"):
    out = io.StringIO()
    call_command("demo", today=today, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_demo_imports_plan_grid_users_and_reports_and_prints_logins():
    output = run_demo()
    plan = Plan.objects.get(is_default=True)
    assert plan.title == "株洲市建设新时代全域化更高水平文明城市的实施意见"
    assert plan.measures.count() == 41
    assert GridCell.objects.exists()
    assert ProgressReport.objects.filter(period_start__lte="2019-10-15").count() > 0
    assert not ProgressReport.objects.filter(period_start__gt="2019-10-15").exists()
    assert DEMO_PASSWORD in output
    for login in DEMO_LOGINS:
        assert login.username in output
        user = User.objects.get(username=login.username)
        assert user.check_password(DEMO_PASSWORD)
        assert user.memberships.filter(role=login.role).exists()
    assert {r for r, _ in Role.choices} <= {login.role for login in DEMO_LOGINS}
    # Cases in the office's and units' queues and through to callback, all through the one workflow.
    statuses = set(Case.objects.values_list("status", flat=True))
    assert {"reported", "accepted", "dispatched", "in_progress", "closed", "rejected"} <= statuses
    assert Case.objects.filter(is_exposed=True).exists() and Case.objects.filter(satisfaction__isnull=False).exists()
    replayed = {c.pk: c.events.order_by("at", "pk").last().to_status for c in Case.objects.all()}
    assert all(replayed[c.pk] == c.status for c in Case.objects.all() if c.status != "merged")


@pytest.mark.django_db
def test_demo_twice_changes_nothing():
    run_demo()
    def counts():
        return (Plan.objects.count(), Target.objects.count(), ProgressReport.objects.count(),
                GridCell.objects.count(), User.objects.count(), Case.objects.count())

    before = counts()
    run_demo()
    assert before == counts()


@pytest.mark.django_db
def test_demo_reports_are_deterministic():
    run_demo()
    first = sorted(ProgressReport.objects.values_list("target__text", "period_start", "value", "done"))
    ProgressReport.objects.all().delete()
    run_demo()
    second = sorted(ProgressReport.objects.values_list("target__text", "period_start", "value", "done"))
    assert first == second


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("username", "lands_on"),
    [("office", "/plans/board/"), ("leader", "/plans/leaders/"), ("chengguan", "/plans/units/"),
     ("inspector", "/inspections/")],
)
def test_each_demo_role_lands_on_its_own_work(client, username, lands_on):
    run_demo()
    client.force_login(User.objects.get(username=username))
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(lands_on)
