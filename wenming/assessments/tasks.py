"""Background jobs of the periodic products on Django's tasks API (django-tasks; DESIGN.md §3).

Thin wrappers over named functions (STYLE.md "Jobs"), so they test without a queue:

- `generate_product_task(product_id, token)` — runs a claimed generation (`products.services.generation_run`);
  the page polls the product row's progress meanwhile.
- `schedule_products_task()` — `schedule.enqueue_due()`: queue every product whose period has ended and that has
  no version yet (seed §38/§41: weekly on Monday, monthly on the 1st, quarterly, yearly).

Scheduling: run `wenming report schedule` from cron every hour (it is idempotent: a period that already has a
product is skipped, one being generated is left alone), with one `wenming worker` process running, e.g.

    5 * * * *  cd /srv/wenming && wenming report schedule
"""

from __future__ import annotations

from django_tasks import task


@task()
def generate_product_task(product_id: int, token: str) -> int | None:
    from .products.services import generation_run

    product = generation_run(product_id, token)
    return product.pk if product else None


@task()
def schedule_products_task() -> list[str]:
    from .schedule import enqueue_due

    return [f"{p.kind}:{p.period_key}" for p in enqueue_due()]
