"""Background jobs of the case loop on Django's tasks API (django-tasks; DESIGN.md §3).

Each job is a thin wrapper over a named function, so it tests without a queue (STYLE.md "Jobs"):

- `sweep_overdue_task` — 督办 every overdue case once and notify its unit and the unit's leadership
  (standards.md, hotline practice: "a notice the day after expiry"). Run it now with `wenming sweep`; queue it with
  `wenming sweep --enqueue`, which `wenming worker` (django-tasks-db's db_worker) then runs. To schedule it, let
  cron (or a systemd timer) queue it, e.g. every 30 minutes in working hours:
      */30 8-18 * * 1-6  cd /srv/wenming && wenming sweep --enqueue
  while one `wenming worker` process runs continuously. Deadlines are working time, so running it more often than
  the shortest time limit (urgent: a few working hours) is enough.
- `send_notification_emails` — email the recipients of in-app notifications (queued by notifications.notify).
"""

from __future__ import annotations

from django_tasks import task

from . import notifications


@task()
def sweep_overdue_task() -> dict[str, int]:
    """{"supervised": cases newly supervised, "notified": notifications created}."""
    return notifications.sweep_and_notify()


@task()
def send_notification_emails(notification_ids: list[int]) -> int:
    return notifications.send_emails(notification_ids)
