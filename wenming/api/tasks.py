"""Background work of the API app, on Django's tasks API (DESIGN.md §3). Thin wrappers over `webhooks`."""

from __future__ import annotations

from django_tasks import task

from . import webhooks


@task()
def deliver_webhook(delivery_id: int) -> str:
    return webhooks.attempt(delivery_id)


@task()
def retry_due_webhooks() -> int:
    return webhooks.retry_due()
