"""Office staff import a plan from the browser: preview first (nothing stored), then confirm."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from wenming.plans.models import Measure, Plan, Target

from .factories import OrgUnitFactory, office_user, unit_user

SEED = Path(__file__).resolve().parents[1] / "data" / "zhuzhou_2018.txt"


def upload(client, content: bytes, name="株洲实施意见.txt", **extra):
    return client.post(reverse("plans:import"), {"document": SimpleUploadedFile(name, content), **extra})


@pytest.mark.django_db
def test_preview_then_confirm(client):
    client.force_login(office_user("office"))
    response = upload(client, SEED.read_bytes(), is_default="on")
    html = response.content.decode()
    assert response.status_code == 200
    assert "识别出 9 个部分、41 项措施、20 处责任分工" in html
    assert Plan.objects.count() == 0  # a preview stores nothing
    token = response.context["token"]
    response = client.post(reverse("plans:import"), {"step": "apply", "token": token, "original": "株洲实施意见.txt",
                                                     "is_default": "1"})
    plan = Plan.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("plans:detail", args=[plan.pk])
    assert plan.is_default and Measure.objects.filter(plan=plan).count() == 41
    assert plan.import_runs.get().source_name == "株洲实施意见.txt"


@pytest.mark.django_db
def test_revised_document_shows_differences_before_applying(client):
    client.force_login(office_user("office"))
    client.post(reverse("plans:import"), {"step": "apply", "token": upload(client, SEED.read_bytes()).context["token"],
                                          "original": "v1.txt"})
    revised = SEED.read_text(encoding="utf-8").replace("公共厕所230座", "公共厕所240座").encode()
    html = upload(client, revised, name="v2.txt").content.decode()
    assert "处变化" in html and "240" in html
    assert Target.objects.filter(value=240).count() == 0  # not yet
    token = upload(client, revised, name="v2.txt").context["token"]
    client.post(reverse("plans:import"), {"step": "apply", "token": token, "original": "v2.txt"})
    assert Target.objects.filter(value=240, unit="座").exists()
    assert Plan.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("plan.pdf", b"%PDF-1.4", "只支持 .txt 或 .docx"),
        ("plan.docx", b"not a zip", "不是有效的 Word"),
        ("plan.txt", "今天天气很好。".encode(), "无法导入"),
    ],
)
def test_bad_documents_are_refused_in_chinese(client, name, content, message):
    client.force_login(office_user("office"))
    html = upload(client, content, name=name).content.decode()
    assert message in html
    assert Plan.objects.count() == 0


@pytest.mark.django_db
def test_forged_token_and_non_office_are_refused(client):
    client.force_login(office_user("office"))
    response = client.post(reverse("plans:import"), {"step": "apply", "token": "../../etc/passwd.txt"}, follow=True)
    assert "预览已失效" in response.content.decode()
    client.force_login(unit_user(OrgUnitFactory(name="市城管局"), "cg"))
    assert client.get(reverse("plans:import")).status_code == 403
