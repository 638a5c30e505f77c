"""Case events pushed to subscribed systems: signed, logged, retried with exponential backoff, replayable.

`emit_case_event(event)` hears every CaseEvent that `case_report()` / `transition()` write, from any entry point
(it is registered with `cases.workflow.on_case_event` in ApiConfig.ready). It records one WebhookDelivery per
interested subscription and enqueues the sending task once the surrounding transaction commits, so a rolled-back
change is never announced and the worker always finds the delivery row.

"Is anyone subscribed?" is asked for every event, and the usual answer is no: that answer is remembered per
process for SUBSCRIBERS_RECHECK_SECONDS. Saving or deleting a WebhookSubscription in this process forgets it at
once (post_save/post_delete, and again when that transaction commits); a subscription added or re-enabled by
another process (the admin in another worker) is heard within SUBSCRIBERS_RECHECK_SECONDS — events written in
that window are not delivered to it. Bulk `.update()`s bypass the signals: call `forget_subscribers()` after them.
Whenever some subscription is active the subscriptions are read from the database for each event, as before.

Signature: `X-Wenming-Signature: sha256=<hex HMAC-SHA256(secret, raw body)>` over the exact bytes sent; receivers
recompute it and compare with `hmac.compare_digest`. The body is UTF-8 JSON with Chinese kept as characters.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import threading
import time
import urllib.error
import urllib.request

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from wenming.core import clock

from .models import DeliveryStatus, WebhookDelivery, WebhookSubscription

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Wenming-Signature"


def _setting(name: str, default):
    return getattr(settings, name, default)


def event_name(event) -> str:
    return f"case.{event.action}"


def case_payload(event) -> dict:
    case = event.case
    return {
        "event": event_name(event),
        "event_id": event.pk,
        "occurred_at": event.at.isoformat(),
        "action": event.action,
        "from_status": event.from_status,
        "to_status": event.to_status,
        "note": event.note,
        "public": event.public,
        "case": {
            "id": case.pk,
            "tracking_code": case.tracking_code,
            "status": case.status,
            "category": case.category.code,
            "assigned_unit": case.assigned_unit.name if case.assigned_unit_id else None,
            "due_at": case.due_at.isoformat() if case.due_at else None,
            "version": case.version,
        },
    }


# ---------------------------------------------------------------------------------------------------------------
# "Is anyone subscribed?" without a query per event (see the module notes for the delay other processes see)

SUBSCRIBERS_RECHECK_SECONDS = 5.0

_none_lock = threading.Lock()
_none_seen_at: float | None = None  # time.monotonic() when no active subscription was last read; None: unknown
_generation = 0  # bumped by every subscription write in this process
_local = threading.local()  # .block: the outermost atomic block in which this thread changed subscriptions


def forget_subscribers() -> None:
    """Drop the remembered "no active subscription" (call after bulk writes that bypass model signals)."""
    global _none_seen_at, _generation
    with _none_lock:
        _none_seen_at = None
        _generation += 1


@receiver(post_save, sender=WebhookSubscription, dispatch_uid="webhooks_subscription_saved")
@receiver(post_delete, sender=WebhookSubscription, dispatch_uid="webhooks_subscription_deleted")
def _subscriptions_changed(sender, using=None, **kwargs) -> None:
    forget_subscribers()
    conn = transaction.get_connection(using)
    if conn.in_atomic_block and conn.atomic_blocks:
        # Until this transaction ends, this thread sees a change nobody else sees: it asks the database, and
        # what another thread remembers meanwhile is forgotten again at commit.
        _local.block = conn.atomic_blocks[0]
        transaction.on_commit(forget_subscribers, using=using)


def _known_unsubscribed() -> bool:
    block = getattr(_local, "block", None)
    if block is not None:
        conn = transaction.get_connection()
        if conn.atomic_blocks and conn.atomic_blocks[0] is block:
            return False
        _local.block = None  # that transaction has ended (committed or rolled back)
    seen = _none_seen_at
    return seen is not None and time.monotonic() - seen < SUBSCRIBERS_RECHECK_SECONDS


def _active_subscriptions() -> list[WebhookSubscription]:
    if _known_unsubscribed():
        return []
    generation, now = _generation, time.monotonic()
    subscriptions = list(WebhookSubscription.objects.filter(is_active=True))
    if not subscriptions and getattr(_local, "block", None) is None:
        global _none_seen_at
        with _none_lock:
            if generation == _generation:  # no write in this process while we read
                _none_seen_at = now
    return subscriptions


def emit_case_event(event) -> list[WebhookDelivery]:
    """Queue a delivery of `event` (a CaseEvent) to every active subscription that wants it. Never raises."""
    try:
        name = event_name(event)
        subscriptions = [s for s in _active_subscriptions() if s.wants(name)]
        if not subscriptions:
            return []
        payload = case_payload(event)
        deliveries = [
            WebhookDelivery.objects.create(subscription=s, event=name, payload=payload, next_retry_at=clock.now())
            for s in subscriptions
        ]
    except Exception:  # an announcement must never undo or fail the action it announces
        logger.exception("could not record webhook deliveries for event %s", getattr(event, "pk", None))
        return []
    for d in deliveries:
        transaction.on_commit(lambda pk=d.pk: enqueue(pk))
    return deliveries


def emit_new_case(case) -> list[WebhookDelivery]:
    """`emit_case_event` for a case just reported: its first event, looked up only when someone subscribes."""
    if not _active_subscriptions():
        return []
    return emit_case_event(case.events.order_by("pk").first())


def enqueue(delivery_id: int, run_after: dt.datetime | None = None) -> None:
    from .tasks import deliver_webhook

    task = deliver_webhook
    if run_after is not None:
        if not task.get_backend().supports_defer:
            return  # left pending with next_retry_at; `retry_due()` picks it up
        task = task.using(run_after=run_after)
    try:
        task.enqueue(delivery_id)
    except Exception:
        logger.exception("could not enqueue webhook delivery %s", delivery_id)


def body_of(delivery: WebhookDelivery) -> bytes:
    return json.dumps(delivery.payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def backoff(attempts: int) -> dt.timedelta:
    """Delay before the next try after `attempts` failures: base, 2×base, 4×base, … capped at a day."""
    base = _setting("WENMING_WEBHOOK_RETRY_BASE_SECONDS", 30)
    return dt.timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), 86_400))


def attempt(delivery_id: int) -> str:
    """Send one delivery once; record the outcome; schedule the next try on failure. Returns the new status."""
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update().select_related("subscription").filter(pk=delivery_id).first()
        )
        if delivery is None or delivery.status != DeliveryStatus.PENDING:
            return delivery.status if delivery else "missing"
        sub = delivery.subscription
        body = body_of(delivery)
        request = urllib.request.Request(
            sub.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "User-Agent": "wenming-webhooks/1",
                "X-Wenming-Event": delivery.event,
                "X-Wenming-Delivery": str(delivery.pk),
                SIGNATURE_HEADER: sign(sub.secret, body),
            },
        )
        status_code, error = None, ""
        try:
            with urllib.request.urlopen(request, timeout=_setting("WENMING_WEBHOOK_TIMEOUT_SECONDS", 5)) as resp:
                status_code = resp.status
        except urllib.error.HTTPError as exc:
            status_code, error = exc.code, f"HTTP {exc.code}"
        except (urllib.error.URLError, OSError, ValueError) as exc:
            error = str(getattr(exc, "reason", exc))[:500]
        now = clock.now()
        delivery.attempts += 1
        delivery.last_status = status_code
        delivery.last_error = error
        if status_code is not None and 200 <= status_code < 300:
            delivery.status, delivery.delivered_at, delivery.next_retry_at = DeliveryStatus.DELIVERED, now, None
        elif delivery.attempts >= _setting("WENMING_WEBHOOK_MAX_ATTEMPTS", 6):
            delivery.status, delivery.next_retry_at = DeliveryStatus.FAILED, None
        else:
            delivery.next_retry_at = now + backoff(delivery.attempts)
        delivery.save()
    if delivery.status == DeliveryStatus.PENDING:
        transaction.on_commit(lambda: enqueue(delivery.pk, run_after=delivery.next_retry_at))
    return delivery.status


def replay(delivery: WebhookDelivery) -> None:
    """Send a delivery again (the admin's action after the receiver is fixed): same payload, fresh retry budget."""
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.PENDING, attempts=0, next_retry_at=clock.now(), last_error=""
    )
    transaction.on_commit(lambda: enqueue(delivery.pk))


def retry_due(now=None) -> int:
    """Enqueue every pending delivery whose retry time has come (scheduled job for non-deferring backends)."""
    ids = list(WebhookDelivery.objects.due(now).values_list("pk", flat=True)[:500])
    for pk in ids:
        enqueue(pk)
    return len(ids)
