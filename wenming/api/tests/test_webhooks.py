"""Webhooks: signed deliveries to a local receiver on 127.0.0.1, logged, retried with backoff, replayed from admin."""

import datetime as dt
import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from wenming.api import webhooks
from wenming.api.models import DeliveryStatus, WebhookDelivery, WebhookSubscription
from wenming.api.tasks import deliver_webhook
from wenming.core import clock

from .conftest import NOW, bearer

pytestmark = pytest.mark.django_db
SECRET = "订阅密钥-s3cret"


class Receiver:
    """A tiny HTTP server on the loopback interface that records what it gets and answers from a script."""

    def __init__(self):
        self.received: list[tuple[dict, bytes]] = []
        self.statuses: list[int] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                outer.received.append((dict(self.headers), body))
                status = outer.statuses.pop(0) if outer.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def subscription(receiver, world):
    return WebhookSubscription.objects.create(name="区平台", url=receiver.url, events=["case.*"], secret=SECRET)


def report(client, world):
    data = {"category": "SJ0401", "description": "人行道上有流动摊贩占道经营", "address": "建设路 1 号"}
    return client.post("/api/v1/cases", json.dumps(data), content_type="application/json",
                       **bearer(world.report_token))


def test_report_and_action_are_delivered_signed(client, world, subscription, receiver,
                                                 django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        r = report(client, world)
    assert r.status_code == 201
    case_id = r.json()["id"]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/api/v1/cases/{case_id}/actions", json.dumps({"action": "accept"}),
                    content_type="application/json", **bearer(world.office_token))
    assert len(receiver.received) == 2
    headers, body = receiver.received[0]
    expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers["X-Wenming-Signature"], expected)
    payload = json.loads(body.decode("utf-8"))
    assert payload["event"] == "case.report" and payload["case"]["id"] == case_id
    assert json.loads(receiver.received[1][1])["event"] == "case.accept"
    assert headers["X-Wenming-Event"] == "case.report"
    assert list(WebhookDelivery.objects.values_list("status", flat=True)) == ["delivered", "delivered"]


def test_open311_post_is_announced(client, world, subscription, receiver, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post("/open311/v2/requests.json", {
            "api_key": world.open311_key, "service_code": "SJ0401", "address_string": "建设路",
            "description": "人行道上有流动摊贩占道经营"})
    assert r.status_code == 200
    assert json.loads(receiver.received[0][1])["case"]["id"] == int(r.json()[0]["service_request_id"])


def test_subscription_filters_events(world, receiver):
    sub = WebhookSubscription(name="x", url=receiver.url, events=["case.dispatch"], secret="s")
    assert sub.wants("case.dispatch") and not sub.wants("case.report")
    assert WebhookSubscription(events=[]).wants("case.report")
    assert WebhookSubscription(events=["case.*"]).wants("case.verify_pass")


def test_failure_is_logged_and_retried_with_backoff(client, world, subscription, receiver, settings,
                                                     django_capture_on_commit_callbacks):
    settings.WENMING_WEBHOOK_RETRY_BASE_SECONDS = 30
    settings.WENMING_WEBHOOK_MAX_ATTEMPTS = 3
    receiver.statuses = [500, 503, 500]
    with clock.frozen(NOW), django_capture_on_commit_callbacks(execute=True):
        report(client, world)
    d = WebhookDelivery.objects.get()
    assert (d.status, d.attempts, d.last_status) == (DeliveryStatus.PENDING, 1, 500)
    assert d.next_retry_at == NOW + dt.timedelta(seconds=30)
    # The immediate test backend cannot defer: the due sweep sends it when its time comes.
    with clock.frozen(NOW + dt.timedelta(seconds=10)):
        assert webhooks.retry_due() == 0
    with clock.frozen(NOW + dt.timedelta(seconds=31)):
        assert webhooks.retry_due() == 1
    d.refresh_from_db()
    assert (d.attempts, d.last_status) == (2, 503)
    assert d.next_retry_at == NOW + dt.timedelta(seconds=31) + dt.timedelta(seconds=60)  # doubled
    with clock.frozen(NOW + dt.timedelta(minutes=5)):
        deliver_webhook.call(d.pk)
    d.refresh_from_db()
    assert (d.status, d.attempts, d.next_retry_at) == (DeliveryStatus.FAILED, 3, None)
    assert len(receiver.received) == 3
    assert WebhookDelivery.objects.failed().count() == 1


def test_retry_is_reenqueued_with_run_after_on_a_deferring_backend(world, subscription, receiver, settings,
                                                                  django_capture_on_commit_callbacks):
    from django_tasks import default_task_backend

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    receiver.statuses = [500]
    d = WebhookDelivery.objects.create(subscription=subscription, event="case.report", payload={"a": "中文"})
    with clock.frozen(NOW), django_capture_on_commit_callbacks(execute=True):
        assert webhooks.attempt(d.pk) == DeliveryStatus.PENDING
    [result] = default_task_backend.results
    assert result.task.run_after == NOW + dt.timedelta(seconds=30)
    assert result.args == [d.pk]


def test_unreachable_receiver_is_an_error_not_a_crash(world, settings):
    sub = WebhookSubscription.objects.create(name="down", url="http://127.0.0.1:9/none", secret="s")
    d = WebhookDelivery.objects.create(subscription=sub, event="case.report", payload={})
    assert webhooks.attempt(d.pk) == DeliveryStatus.PENDING
    d.refresh_from_db()
    assert d.last_error and d.last_status is None


def test_admin_lists_failures_and_replays(admin_client, world, subscription, receiver,
                                          django_capture_on_commit_callbacks):
    d = WebhookDelivery.objects.create(subscription=subscription, event="case.report",
                                       payload={"event": "case.report", "说明": "重放"},
                                       status=DeliveryStatus.FAILED, attempts=6, last_status=500)
    r = admin_client.get("/admin/api/webhookdelivery/?status__exact=failed")
    assert r.status_code == 200 and "case.report" in r.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        r = admin_client.post("/admin/api/webhookdelivery/", {"action": "replay_deliveries",
                                                               "_selected_action": [d.pk]})
    assert r.status_code == 302
    d.refresh_from_db()
    assert (d.status, d.attempts) == (DeliveryStatus.DELIVERED, 1)
    headers, body = receiver.received[0]
    assert json.loads(body)["说明"] == "重放"
    assert headers["X-Wenming-Signature"] == webhooks.sign(SECRET, body)


def test_emit_never_breaks_the_caller(world, monkeypatch):
    monkeypatch.setattr(WebhookSubscription.objects, "filter", lambda **kw: 1 / 0)
    assert webhooks.emit_case_event(object()) == []


@pytest.mark.django_db
def test_page_actions_are_announced_too(client):
    """An action taken on a page (not through the API) reaches the subscribers: announcing is the workflow's job."""
    from wenming.accounts.models import Membership, OrgUnit, Role, User
    from wenming.api.models import WebhookDelivery, WebhookSubscription
    from wenming.cases.models import Case, Category
    from wenming.cases.services import case_report
    from wenming.cases.taxonomy import load_categories

    load_categories()
    WebhookSubscription.objects.create(name="热线系统", url="http://127.0.0.1:9/hook", events=[], secret="s3cret")
    category = Category.objects.public().order_by("code").first()
    case = case_report(category=category, description="人行道上有人占道经营，影响通行。", channel="web",
                       address="芦淞区建设南路")
    office = User.objects.create_user("office-hook", password="x")
    Membership.objects.create(user=office, org_unit=OrgUnit.objects.create(name="市文明办"), role=Role.OFFICE)
    client.force_login(office)
    case = Case.objects.get(pk=case.pk)
    response = client.post(f"/cases/{case.pk}/act/accept/", {"accept-version": case.version, "accept-note": ""})
    assert response.status_code in (200, 302)
    assert Case.objects.get(pk=case.pk).status == "accepted"
    assert list(WebhookDelivery.objects.order_by("pk").values_list("event", flat=True))[-2:] == [
        "case.report", "case.accept"]
