"""Writes for plans: a unit reports progress on a target (seed §41 一单四制, "落实反馈").

`progress_report_submit` validates everything first (who, which period, the value, every file by its content),
then writes the report and its evidence in one transaction. Any failure raises ValidationError with a Chinese
message and leaves nothing behind: no report row, no evidence row, no file on disk.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import io
import zipfile
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _

from wenming.accounts.models import OrgUnit, User
from wenming.core import clock

from . import status as st
from .models import Comparator, Evidence, ProgressReport, Target

PERCENT_UNITS = {"%", "％", "百分比"}
# Units of whole things: a count of 1.5 座 is a typo, not progress.
COUNT_UNITS = {"座", "个", "名", "处", "家", "所", "次", "条", "户", "场", "人", "辆", "支", "项", "本", "件", "批", "期"}
MAX_FILES = 10
MAX_NOTE = 2000
MAX_VALUE = Decimal("9999999999")  # DecimalField(max_digits=14, decimal_places=4)


@dataclasses.dataclass(frozen=True)
class FileKind:
    label: str
    content_type: str
    extension: str
    extensions: tuple[str, ...]


JPEG = FileKind("JPEG", "image/jpeg", ".jpg", (".jpg", ".jpeg"))
PNG = FileKind("PNG", "image/png", ".png", (".png",))
WEBP = FileKind("WebP", "image/webp", ".webp", (".webp",))
PDF = FileKind("PDF", "application/pdf", ".pdf", (".pdf",))
DOCX = FileKind(
    "Word", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx", (".docx",)
)
XLSX = FileKind("Excel", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx", (".xlsx",))


def sniff(head: bytes, read_all) -> FileKind | None:
    """The kind of a file from its content (magic bytes; for zip, the parts a docx/xlsx must contain)."""
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(read_all())) as zf:
                names = set(zf.namelist())
        except (zipfile.BadZipFile, ValueError):
            return None
        if "[Content_Types].xml" not in names:
            return None
        if "word/document.xml" in names:
            return DOCX
        if "xl/workbook.xml" in names:
            return XLSX
    return None


def _image_ok(data: bytes) -> bool:
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as im:
            im.verify()
        return True
    except Exception:  # noqa: BLE001 - any decoder error means "not a usable image"
        return False


@dataclasses.dataclass
class CheckedFile:
    data: bytes
    name: str
    kind: FileKind
    sha256: str


def check_evidence_file(upload) -> CheckedFile:
    """Read an uploaded file and accept it only if its content is an allowed kind matching its name."""
    name = getattr(upload, "name", "") or _("未命名文件")
    limit = settings.WENMING_MAX_EVIDENCE_BYTES
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        raise ValidationError(
            _("文件“%(name)s”超过大小限制（%(limit)s MB）。") % {"name": name, "limit": _mb(limit)}, code="too_big"
        )
    if hasattr(upload, "seek"):
        upload.seek(0)
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise ValidationError(
            _("文件“%(name)s”超过大小限制（%(limit)s MB）。") % {"name": name, "limit": _mb(limit)}, code="too_big"
        )
    if not data:
        raise ValidationError(_("文件“%(name)s”是空文件。") % {"name": name}, code="empty")
    kind = sniff(data[:16], lambda: data)
    if kind is None or (kind in (JPEG, PNG, WEBP) and not _image_ok(data)):
        raise ValidationError(
            _("文件“%(name)s”的内容不是允许的类型：只接受 JPEG、PNG、WebP 图片，PDF，Word（.docx）和 Excel（.xlsx）文件。")
            % {"name": name},
            code="bad_type",
        )
    suffix = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if suffix and suffix not in kind.extensions:
        raise ValidationError(
            _("文件“%(name)s”的扩展名与内容不符：内容是 %(kind)s 文件。") % {"name": name, "kind": kind.label},
            code="mismatch",
        )
    return CheckedFile(data, name[-255:], kind, hashlib.sha256(data).hexdigest())


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):g}"


def responsible_units(target: Target) -> set[int]:
    resp = getattr(target.measure, "responsibility", None)
    if resp is None:
        return set()
    return {u.pk for u in resp.lead_units.all()} | {u.pk for u in resp.member_units.all()}


def can_report(user: User, target: Target, org_unit: OrgUnit) -> bool:
    """Office users report for any unit; others only for a unit they belong to that answers for the measure."""
    if user is None or not user.is_authenticated:
        return False
    if user.is_office:
        return True
    return org_unit.pk in responsible_units(target) and user.memberships.filter(org_unit=org_unit).exists()


def _clean_value(target: Target, value, done: bool, unit: str | None) -> tuple[Decimal | None, bool]:
    if target.is_milestone:
        if value not in (None, ""):
            raise ValidationError({"value": _("该目标是节点类目标，请勾选“已完成”，不要填写数值。")})
        if not done:
            raise ValidationError({"done": _("节点类目标请勾选“已完成”后再报送；未完成的请在说明中写明进展。")})
        return None, True
    if value in (None, ""):
        raise ValidationError({"value": _("请填写完成值。")})
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError({"value": _("完成值必须是数字。")}) from None
    if not number.is_finite():
        raise ValidationError({"value": _("完成值必须是数字。")})
    target_unit = (target.unit or "").strip()
    if unit not in (None, "") and _norm_unit(unit) != _norm_unit(target_unit):
        raise ValidationError(
            {"value": _("计量单位不符：该目标以“%(expected)s”计，报送的是“%(given)s”。") % {"expected": target_unit or _("无单位"), "given": unit}}
        )
    if number < 0:
        raise ValidationError({"value": _("完成值不能为负数。")})
    if number.as_tuple().exponent < -4 or number > MAX_VALUE:
        raise ValidationError({"value": _("完成值超出范围（最多 4 位小数）。")})
    is_percent = _norm_unit(target_unit) == "%" or target.comparator == Comparator.REDUCE
    if is_percent and number > 100:
        if target.comparator == Comparator.REDUCE:
            raise ValidationError({"value": _("下降幅度以百分比计，不能超过 100%。")})
        raise ValidationError({"value": _("百分比不能超过 100。")})
    if target_unit in COUNT_UNITS and number != number.to_integral_value():
        raise ValidationError({"value": _("以“%(unit)s”计的数量必须是整数。") % {"unit": target_unit}})
    return number, False


def _norm_unit(unit: str) -> str:
    unit = (unit or "").strip()
    return "%" if unit in PERCENT_UNITS else unit


def _clean_period(target: Target, period: dt.date | None, frequency: str) -> dt.date:
    if not isinstance(period, dt.date):
        raise ValidationError({"period_start": _("请选择报送期。")})
    if isinstance(period, dt.datetime):
        period = period.date()
    if not st.is_period_start(period, frequency):
        raise ValidationError(
            {"period_start": _("报送期必须是%(freq)s的第一天。") % {"freq": _("季度") if frequency == "quarterly" else _("月份")}}
        )
    if period > st.period_start(clock.today(), frequency):
        raise ValidationError({"period_start": _("不能报送未来的周期。")})
    if period < st.period_start(target.starts_on, frequency):
        raise ValidationError({"period_start": _("该目标 %(date)s 才开始，不能报送更早的周期。") % {"date": target.starts_on}})
    return period


def progress_report_submit(
    *,
    target: Target,
    org_unit: OrgUnit | None,
    user: User,
    period_start: dt.date,
    value=None,
    done: bool = False,
    note: str = "",
    files: Iterable = (),
    unit: str | None = None,
) -> ProgressReport:
    """Record ``org_unit``'s progress on ``target`` for the period starting ``period_start``.

    Rules: the unit exists and answers for the target's measure (lead or member unit) and the user belongs to it,
    or the user is office staff; the period is aligned to the plan's frequency and not in the future; a milestone
    takes the done flag and no value; a number is non-negative, at most 100 when the target is in % (or a 下降
    reduction), whole for counts, in the target's unit; every file is an allowed kind by content and within
    settings.WENMING_MAX_EVIDENCE_BYTES. Reports are never edited: a new one supersedes the old (history kept).
    """
    if org_unit is None or not isinstance(org_unit, OrgUnit) or org_unit.pk is None:
        raise ValidationError({"org_unit": _("未知单位，请从列表中选择报送单位。")})
    if not can_report(user, target, org_unit):
        if org_unit.pk not in responsible_units(target):
            raise ValidationError(
                {"org_unit": _("“%(unit)s”不是该目标所属措施的牵头单位或成员单位，不能报送。") % {"unit": org_unit.name}}
            )
        raise ValidationError({"org_unit": _("您不是“%(unit)s”的用户，不能代其报送。") % {"unit": org_unit.name}})
    period = _clean_period(target, period_start, st.frequency_of(target))
    number, done = _clean_value(target, value, done, unit)
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise ValidationError({"note": _("说明不能超过 %(n)s 字。") % {"n": MAX_NOTE}})
    files = [f for f in files if f]
    if len(files) > MAX_FILES:
        raise ValidationError({"files": _("一次最多上传 %(n)s 个文件。") % {"n": MAX_FILES}})
    checked = []
    for f in files:
        try:
            checked.append(check_evidence_file(f))
        except ValidationError as e:
            raise ValidationError({"files": e.messages}) from None

    written: list[tuple[object, str]] = []
    try:
        with transaction.atomic():
            report = ProgressReport.objects.create(
                target=target,
                org_unit=org_unit,
                period_start=period,
                value=number,
                done=done,
                note=note,
                submitted_by=user if user.is_authenticated else None,
                submitted_at=clock.now(),
            )
            for c in checked:
                ev = Evidence(
                    report=report,
                    original_name=c.name,
                    content_type=c.kind.content_type,
                    size=len(c.data),
                    sha256=c.sha256,
                    extension=c.kind.extension,
                )
                ev.file.save(c.name, ContentFile(c.data), save=False)
                written.append((ev.file.storage, ev.file.name))
                ev.save()
    except BaseException:
        # The transaction rolled the rows back; files are outside it, so remove what this call wrote.
        for storage, name in written:
            storage.delete(name)
        raise
    return report
