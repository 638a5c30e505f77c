"""A product's lifecycle: generate → (regenerate) → submit for review → publish; a correction is a new version.

Seed §38/§41 ask for the products; DESIGN.md §3 says a published one is frozen. The rules:

- Generating claims the newest version of (kind, period) for one job: a conditional UPDATE (or, for the first
  version, the unique (kind, period, version) row) lets exactly one request win; the other is told the product
  is being generated. The job holds a token and writes its result only while it still holds it, so nothing is
  lost or overwritten by a late or duplicate job.
- A published version is never generated again (Chinese refusal: make a correction). A draft or a version in
  review may be regenerated; it goes back to draft, since its numbers may have changed.
- Publishing assigns the document number (机关代字〔年份〕序号号), stamps the date into the snapshot and writes
  the final .docx and .xlsx once; after that the row is read-only (`Product.save` refuses).
- A correction (更正) is version n+1 of a published product, built from current data, carrying the note and the
  list of figures that changed against version n.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from wenming.assessments.models import (
    BUSY_STATES,
    JobState,
    Product,
    ProductKind,
    ProductStatus,
    PublishingSettings,
)
from wenming.assessments.periods import Period
from wenming.core import clock

from . import builders
from .docx import render_docx
from .periods import parse_period, product_kind
from .xlsx import render_xlsx

log = logging.getLogger(__name__)
#: A job that has not reported progress for this long is taken to have died (worker killed) and may be retried.
STALE_AFTER = dt.timedelta(minutes=30)


class ProductError(Exception):
    """A refusal with a message for the user (Chinese)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class ProductBusy(ProductError):
    pass


class ProductFrozen(ProductError):
    pass


def _busy_message() -> str:
    return _("该产品正在生成中，请稍候；本次请求未执行，已有的任务不受影响。")


def _frozen_message() -> str:
    return _("该产品已发布，不能重新生成；发布后的内容保持不变。如需更正，请创建更正版本并说明更正内容。")


def _stale_before() -> dt.datetime:
    return clock.now() - STALE_AFTER


def _claimable(qs):
    """Rows not held by a live job: idle, done, failed, or busy but silent for longer than STALE_AFTER."""
    from django.db.models import Q

    return qs.filter(~Q(job_state__in=BUSY_STATES) | Q(updated_at__lt=_stale_before()))


def _queued_fields(token: str, by) -> dict:
    return {"job_state": JobState.QUEUED, "job_token": token, "progress": 0,
            "progress_message": _("已排队，等待生成"), "generated_by": by, "updated_at": clock.now()}


def generation_claim(*, kind: str, period: Period | str, by=None) -> tuple[Product, str]:
    """Claim (kind, period) for one generation job; (product, token) for the job to run with.

    Refuses a published product (ProductFrozen) and a product another job is generating (ProductBusy).
    """
    kind = product_kind(kind)
    if isinstance(period, str):
        period = parse_period(kind, period)
    token = secrets.token_hex(16)
    with transaction.atomic():
        latest = (
            Product.objects.select_for_update().of(kind, period.code).order_by("-version").first()
        )
        if latest is None:
            try:
                with transaction.atomic():
                    product = Product.objects.create(
                        kind=kind, period_key=period.code, period_start=period.start, period_end=period.end,
                        version=1, title=f"{kind.label} {period.label}", **_queued_fields(token, by),
                    )
            except IntegrityError:
                raise ProductBusy(_busy_message()) from None
            return product, token
        if latest.is_published:
            raise ProductFrozen(_frozen_message())
        won = _claimable(Product.objects.filter(pk=latest.pk, status__in=[ProductStatus.DRAFT, ProductStatus.REVIEW]))
        if not won.update(**_queued_fields(token, by)):
            raise ProductBusy(_busy_message())
    latest.refresh_from_db()
    return latest, token


def correction_claim(*, product: Product, note: str, by=None) -> tuple[Product, str]:
    """Start version n+1 of published version n, saying what it corrects."""
    note = (note or "").strip()
    if not product.is_published:
        raise ProductError(_("只有已发布的产品才需要更正；草稿和待审核的产品可以直接重新生成。"))
    if not note:
        raise ProductError(_("请填写更正说明：更正了什么、为什么更正。"))
    newest = Product.objects.latest_version(product.kind, product.period_key)
    if newest is not None and newest.pk != product.pk:
        raise ProductError(_("该产品已有更新的版本（第%(n)s版），请在最新版本上操作。") % {"n": newest.version})
    token = secrets.token_hex(16)
    try:
        with transaction.atomic():
            correction = Product.objects.create(
                kind=product.kind, period_key=product.period_key, period_start=product.period_start,
                period_end=product.period_end, version=product.version + 1, title=product.title,
                correction_of=product, change_note=note, **_queued_fields(token, by),
            )
    except IntegrityError:
        raise ProductBusy(_("该产品的更正版本已在创建中。")) from None
    return correction, token


def _progress(product_id: int, token: str):
    def report(pct: int, message: str) -> None:
        Product.objects.filter(pk=product_id, job_token=token).update(
            progress=max(0, min(99, int(pct))), progress_message=str(message)[:200], updated_at=clock.now()
        )

    return report


def _period(product: Product) -> Period:
    return parse_period(product.kind, product.period_key)


def _file_name(product: Product, token: str, ext: str, tag: str = "") -> str:
    return f"assessments/products/{product.kind}/{product.period_key}/v{product.version}{tag}-{token[:8]}.{ext}"


def _meta(product: Product, status: str) -> dict:
    return {"version": product.version_label, "status": str(ProductStatus(status).label)}


def generation_run(product_id: int, token: str) -> Product | None:
    """Run a claimed job: build the snapshot from live data, render the draft files, save them — only while the
    job still holds the product. None when the job was superseded (nothing written)."""
    if not Product.objects.filter(pk=product_id, job_token=token, job_state=JobState.QUEUED).update(
        job_state=JobState.RUNNING, progress=1, progress_message=_("开始生成"), updated_at=clock.now()
    ):
        return None
    product = Product.objects.get(pk=product_id)
    progress = _progress(product_id, token)
    saved: list[str] = []
    try:
        snapshot = builders.build(product.kind, _period(product), progress=progress)
        if product.correction_of_id:
            snapshot["correction"] = correction_summary(product.correction_of, product, snapshot)
        progress(85, _("生成 Word 文档"))
        docx = render_docx(snapshot)
        progress(93, _("生成 Excel 工作簿"))
        xlsx = render_xlsx(snapshot, meta=_meta(product, ProductStatus.DRAFT))
        saved.append(default_storage.save(_file_name(product, token, "docx"), ContentFile(docx)))
        saved.append(default_storage.save(_file_name(product, token, "xlsx"), ContentFile(xlsx)))
        with transaction.atomic():
            won = Product.objects.filter(
                pk=product_id, job_token=token, status__in=[ProductStatus.DRAFT, ProductStatus.REVIEW]
            ).update(
                snapshot=snapshot, title=snapshot["title"][:200], docx=saved[0], xlsx=saved[1],
                status=ProductStatus.DRAFT, generated_at=clock.now(), job_state=JobState.DONE, progress=100,
                progress_message=_("已生成"), updated_at=clock.now(), submitted_at=None, submitted_by=None,
            )
        if not won:
            _delete(saved)
            return None
    except Exception as exc:
        _delete(saved)
        Product.objects.filter(pk=product_id, job_token=token).update(
            job_state=JobState.FAILED, progress_message=(_("生成失败：%(e)s") % {"e": exc})[:200],
            updated_at=clock.now(),
        )
        raise
    for old in (product.docx.name, product.xlsx.name):
        if old:
            _delete([old])  # the draft's previous files; drafts are not frozen
    return Product.objects.get(pk=product_id)


def _delete(names: list[str]) -> None:
    for name in names:
        try:
            default_storage.delete(name)
        except OSError:  # pragma: no cover - best effort
            log.warning("could not delete %s", name)


def generate_now(*, kind: str, period: Period | str, by=None) -> Product:
    """Claim and run in this process (the shell command; tests)."""
    product, token = generation_claim(kind=kind, period=period, by=by)
    result = generation_run(product.pk, token)
    if result is None:
        raise ProductBusy(_busy_message())
    return result


def generation_request(*, kind: str, period: Period | str, by=None) -> Product:
    """Claim and queue the job on the tasks API (pages, the schedule)."""
    from wenming.assessments.tasks import generate_product_task

    product, token = generation_claim(kind=kind, period=period, by=by)
    generate_product_task.enqueue(product.pk, token)
    return product


def correction_request(*, product: Product, note: str, by=None) -> Product:
    from wenming.assessments.tasks import generate_product_task

    correction, token = correction_claim(product=product, note=note, by=by)
    generate_product_task.enqueue(correction.pk, token)
    return correction


# --- review and publication ---------------------------------------------------------------------------------


def _ready(product: Product) -> None:
    if product.is_busy:
        raise ProductBusy(_busy_message())
    if not product.snapshot:
        raise ProductError(_("该产品尚未生成完成。"))


def product_submit(*, product: Product, by=None) -> Product:
    """草稿 → 待审核."""
    _ready(product)
    if not Product.objects.filter(pk=product.pk, status=ProductStatus.DRAFT).exclude(job_state__in=BUSY_STATES).update(
        status=ProductStatus.REVIEW, submitted_at=clock.now(), submitted_by=by, updated_at=clock.now()
    ):
        raise ProductError(_("只有草稿可以送审。"))
    product.refresh_from_db()
    return product


def product_return(*, product: Product, by=None) -> Product:
    """待审核 → 草稿 (the reviewer sends it back)."""
    if not Product.objects.filter(pk=product.pk, status=ProductStatus.REVIEW).update(
        status=ProductStatus.DRAFT, updated_at=clock.now()
    ):
        raise ProductError(_("只有待审核的产品可以退回。"))
    product.refresh_from_db()
    return product


def _next_number(year: int) -> int:
    top = Product.objects.filter(doc_year=year).aggregate(m=Max("doc_seq"))["m"] or 0
    return top + 1


def product_publish(*, product: Product, by=None) -> Product:
    """待审核 → 已发布: number, date, final files; frozen from here on."""
    _ready(product)
    if product.status != ProductStatus.REVIEW:
        raise ProductError(_("只有审核中的产品可以发布，请先送审。"))
    settings = PublishingSettings.current()
    now = clock.now()
    for _attempt in range(5):
        seq = _next_number(now.year)
        number = f"{settings.number_prefix}〔{now.year}〕{seq}号"
        snapshot = dict(product.snapshot)
        snapshot["issuer"] = settings.issuer
        snapshot["document"] = {"number": number, "date": now.date().isoformat(),
                                "date_text": f"{now.year}年{now.month}月{now.day}日", "issuer": settings.issuer}
        token = secrets.token_hex(4)
        docx = render_docx(snapshot)
        xlsx = render_xlsx(snapshot, meta=_meta(product, ProductStatus.PUBLISHED))
        names = [default_storage.save(_file_name(product, token, "docx", "-published"), ContentFile(docx)),
                 default_storage.save(_file_name(product, token, "xlsx", "-published"), ContentFile(xlsx))]
        try:
            with transaction.atomic():
                won = Product.objects.filter(pk=product.pk, status=ProductStatus.REVIEW).exclude(
                    job_state__in=BUSY_STATES
                ).update(
                    status=ProductStatus.PUBLISHED, snapshot=snapshot, docx=names[0], xlsx=names[1],
                    published_at=now, published_by=by, doc_year=now.year, doc_seq=seq, document_number=number,
                    updated_at=now,
                )
        except IntegrityError:  # another product took this number at the same moment: take the next one
            _delete(names)
            continue
        if not won:
            _delete(names)
            raise ProductError(_("该产品的状态已被他人改变，请刷新后重试。"))
        _delete([n for n in (product.docx.name, product.xlsx.name) if n])
        product.refresh_from_db()
        return product
    raise ProductError(_("发文字号分配冲突，请重试。"))  # pragma: no cover


# --- corrections: what changed ------------------------------------------------------------------------------


def _row_key(row: list) -> str:
    return str(row[1] if len(row) > 1 else row[0])


def correction_summary(old: Product, new: Product, snapshot: dict, limit: int = 100) -> dict:
    """The note plus every headline figure and table cell that differs from the corrected version."""
    before = old.snapshot
    changes: list[list] = []
    old_head = dict((str(k), v) for k, v in before.get("headline", []))
    for label, value in snapshot.get("headline", []):
        if label in old_head and old_head[label] != value:
            changes.append([label, old_head[label], value])
    old_tables = {b["id"]: b for b in before.get("blocks", []) if b.get("type") == "table"}
    for block in snapshot.get("blocks", []):
        if block.get("type") != "table" or block["id"] not in old_tables:
            continue
        prev = old_tables[block["id"]]
        prev_rows = {_row_key(r): r for r in prev["rows"]}
        for row in block["rows"]:
            key = _row_key(row)
            old_row = prev_rows.get(key)
            if old_row is None:
                changes.append([f"{block['title']}·{key}", None, _("新增")])
                continue
            for i, col in enumerate(block["columns"]):
                if i < len(old_row) and i < len(row) and old_row[i] != row[i]:
                    changes.append([f"{block['title']}·{key}·{col}", old_row[i], row[i]])
        new_keys = {_row_key(r) for r in block["rows"]}
        for key in prev_rows:
            if key not in new_keys:
                changes.append([f"{block['title']}·{key}", _("原有"), _("删除")])
    published = old.published_at.astimezone(clock.now().tzinfo).date() if old.published_at else None
    return {
        "version": new.version, "of_version": old.version, "of_number": old.document_number,
        "of_date": f"{published.year}年{published.month}月{published.day}日" if published else "",
        "note": new.change_note, "changes": changes[:limit], "changes_total": len(changes),
    }


KIND_CHOICES = [(k.value, k.label) for k in ProductKind]
