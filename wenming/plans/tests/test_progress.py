"""progress_report_submit: a unit reports a value, a note and evidence; bad input stores nothing."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile

from wenming.core import clock
from wenming.plans.models import Evidence, ProgressReport
from wenming.plans.services import progress_report_submit

JUNE = dt.date(2019, 6, 1)


def png_bytes(size=(8, 8), color=(200, 30, 30)) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, format="PNG")
    return buf.getvalue()


def docx_bytes() -> bytes:
    import docx

    d = docx.Document()
    d.add_paragraph("公共厕所建设进度说明")
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def xlsx_bytes() -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["厕所", 120])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def upload(name, data, content_type="application/octet-stream"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def media_files(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.fixture
def submit(world):
    def _submit(**kwargs):
        args = {
            "target": world.toilets,
            "org_unit": world.chengguan,
            "user": world.users.chengguan,
            "period_start": JUNE,
            "value": "120",
        }
        args.update(kwargs)
        with clock.frozen("2019-06-20"):
            return progress_report_submit(**args)

    return _submit


@pytest.fixture
def refused(submit, settings):
    """Submit, expect a ValidationError whose text contains ``fragment``, and check nothing was stored."""

    def _refused(fragment, **kwargs):
        before = (ProgressReport.objects.count(), Evidence.objects.count(), media_files(settings))
        with pytest.raises(ValidationError) as exc:
            submit(**kwargs)
        text = " ".join(exc.value.messages)
        assert fragment in text, text
        assert (ProgressReport.objects.count(), Evidence.objects.count(), media_files(settings)) == before
        return text

    return _refused


def test_unit_reports_value_note_and_files(world, submit, settings):
    report = submit(
        note="新建公厕 120 座，已验收。",
        files=[upload("现场.png", png_bytes(), "image/png"), upload("验收.pdf", PDF), upload("说明.docx", docx_bytes()),
               upload("台账.xlsx", xlsx_bytes())],
    )
    assert report.value == Decimal(120)
    assert report.submitted_by == world.users.chengguan
    assert sorted(report.evidence.values_list("extension", flat=True)) == [".docx", ".pdf", ".png", ".xlsx"]
    files = media_files(settings)
    assert len(files) == 4
    ev = report.evidence.get(extension=".png")
    assert ev.original_name == "现场.png"
    assert Path(ev.file.path).read_bytes() == png_bytes()


def test_history_is_kept(world, submit):
    submit(value="100")
    submit(value="120", note="更正")
    assert list(ProgressReport.objects.filter(target=world.toilets).latest_first().values_list("value", flat=True)) == [
        Decimal(120),
        Decimal(100),
    ]


def test_member_unit_and_office_may_report(world, submit):
    submit(org_unit=world.huanbao, user=world.users.huanbao)
    submit(org_unit=world.chengguan, user=world.users.office)
    assert ProgressReport.objects.count() == 2


def test_milestone_takes_the_done_flag(world, submit):
    report = submit(target=world.milestone, value=None, done=True)
    assert report.done and report.value is None


# --- refusals: each stores nothing --------------------------------------------------------------------------


def test_fake_png_that_is_text(refused):
    refused("内容不是允许的类型", files=[upload("photo.png", b"this is not an image, just text\n" * 20, "image/png")])


def test_png_header_with_garbage_body(refused):
    refused("内容不是允许的类型", files=[upload("photo.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)])


def test_pdf_named_png(refused):
    refused("扩展名与内容不符", files=[upload("photo.png", PDF)])


def test_plain_zip_named_docx(refused):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("readme.txt", "hello")
    refused("内容不是允许的类型", files=[upload("说明.docx", buf.getvalue())])


def test_docx_named_xlsx(refused):
    refused("扩展名与内容不符", files=[upload("台账.xlsx", docx_bytes())])


def test_oversize_file(refused, settings):
    settings.WENMING_MAX_EVIDENCE_BYTES = 1024
    refused("超过大小限制", files=[upload("big.png", png_bytes((400, 400)) + b"\x00" * 2048)])


def test_empty_file(refused):
    refused("空文件", files=[upload("empty.pdf", b"")])


def test_one_bad_file_among_good_ones(refused):
    refused("内容不是允许的类型", files=[upload("ok.png", png_bytes()), upload("bad.jpg", b"GIF89a....")])


def test_negative_count(refused):
    refused("不能为负数", value="-5")


def test_fractional_count(refused):
    refused("必须是整数", value="1.5")


def test_percentage_over_100(world, refused):
    refused("不能超过 100", target=world.green, value="120")


def test_not_a_number(refused):
    refused("必须是数字", value="一百")


def test_wrong_unit(refused):
    refused("计量单位不符", value="120", unit="个")


def test_future_period(refused):
    refused("未来", period_start=dt.date(2019, 7, 1))


def test_period_not_aligned(refused):
    refused("第一天", period_start=dt.date(2019, 6, 15))


def test_period_before_target_starts(refused):
    refused("才开始", period_start=dt.date(2018, 6, 1))


def test_unit_not_responsible(world, refused):
    refused("不是该目标所属措施的牵头单位或成员单位", org_unit=world.jiaotong, user=world.users.jiaotong)


def test_user_of_another_unit(world, refused):
    refused("不能代其报送", org_unit=world.chengguan, user=world.users.jiaotong)


def test_unknown_unit(refused):
    refused("未知单位", org_unit=None)


def test_milestone_with_a_value(world, refused):
    refused("节点类目标", target=world.milestone, value="1", done=True)


def test_milestone_without_done(world, refused):
    refused("勾选", target=world.milestone, value=None, done=False)


def test_storage_failure_leaves_no_rows_and_no_files(world, submit, settings, monkeypatch):
    real_save = FileSystemStorage._save
    calls = {"n": 0}

    def flaky(self, name, content):
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError("disk full")
        return real_save(self, name, content)

    monkeypatch.setattr(FileSystemStorage, "_save", flaky)
    with pytest.raises(OSError):
        submit(files=[upload("a.png", png_bytes()), upload("b.pdf", PDF)])
    assert ProgressReport.objects.count() == 0
    assert Evidence.objects.count() == 0
    assert media_files(settings) == []
