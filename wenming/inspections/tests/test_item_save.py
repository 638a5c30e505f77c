"""Scoring one item at a time through the inspector's page: per-item save, conflicts, photos, failed → case."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from wenming.cases.models import Case, CaseAttachment, Channel
from wenming.cases.taxonomy import load_categories
from wenming.inspections import services
from wenming.inspections.models import Inspection, ItemPhoto, ItemScore

from .conftest import png_bytes

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def setup(world):
    point = world.point("荷塘农贸市场")
    rnd = world.round([point])
    items = list(rnd.checklist_for(point.point_type_id).items.all())
    return world, rnd, point, items


def _post(client, rnd, point, item, **data):
    data.setdefault("version", 0)
    url = reverse("inspections:item_save", args=[rnd.pk, point.pk, item.pk])
    return client.post(url, data, **HTMX)


def test_each_item_is_saved_on_its_own(client, setup):
    world, rnd, point, items = setup
    client.force_login(world.inspector)
    r = _post(client, rnd, point, items[0], result="pass", note="分区清楚")
    assert r.status_code == 200
    body = r.content.decode()
    assert 'data-outcome="saved"' in body and "已保存" in body
    assert ItemScore.objects.count() == 1
    s = ItemScore.objects.get()
    assert s.score == items[0].points and s.passed and s.version == 1 and s.scored_by == world.inspector
    # A second item: the first one stays as it was.
    _post(client, rnd, point, items[1], result="pass", score="3.5")
    assert ItemScore.objects.count() == 2
    assert ItemScore.objects.get(item=items[1]).score == Decimal("3.5")
    page = client.get(reverse("inspections:point", args=[rnd.pk, point.pk])).content.decode()
    assert "分区清楚" in page


def test_notes_are_escaped(client, setup):
    world, rnd, point, items = setup
    client.force_login(world.inspector)
    r = _post(client, rnd, point, items[0], result="pass", note="<script>alert(1)</script>")
    assert "<script>alert(1)</script>" not in r.content.decode()
    assert "&lt;script&gt;" in r.content.decode()
    assert ItemScore.objects.get().note == "<script>alert(1)</script>"  # stored as typed


def test_bad_score_is_refused_in_chinese(client, setup):
    world, rnd, point, items = setup
    client.force_login(world.inspector)
    r = _post(client, rnd, point, items[0], result="pass", score="99")
    assert "得分应在 0 到" in r.content.decode() and 'data-outcome="error"' in r.content.decode()
    r = _post(client, rnd, point, items[0], result="fail", score=str(items[0].points))
    assert "不达标的条目不能得满分" in r.content.decode()
    r = _post(client, rnd, point, items[0], score="1")
    assert "请选择" in r.content.decode()
    assert not ItemScore.objects.exists() and not Inspection.objects.exists()


def test_concurrent_save_conflict_is_told_in_chinese_and_nothing_is_overwritten(client, setup):
    world, rnd, point, items = setup
    item = items[0]
    first = services.item_score_save(round=rnd, point=point, item=item, actor=world.inspector, passed=True)
    assert first.item_score.version == 1
    # inspector2 loaded the page when the item was still unscored (version 0) and now saves "fail".
    client.force_login(world.inspector2)
    r = _post(client, rnd, point, item, result="fail", note="地面有积水", version=0)
    body = r.content.decode()
    assert 'data-outcome="conflict"' in body
    assert "该项已由「inspector」于" in body and "您的修改未保存" in body
    s = ItemScore.objects.get()
    assert s.passed and s.version == 1 and s.scored_by == world.inspector and s.note == ""
    # The refreshed fragment carries the current version: a deliberate resubmit now succeeds.
    assert 'name="version" value="1"' in body
    r = _post(client, rnd, point, item, result="pass", score="3", version=1)
    assert 'data-outcome="saved"' in r.content.decode()
    s.refresh_from_db()
    assert s.version == 2 and s.score == 3 and s.scored_by == world.inspector2


def test_stale_version_on_update_is_a_conflict(setup):
    world, rnd, point, items = setup
    services.item_score_save(round=rnd, point=point, item=items[0], actor=world.inspector, passed=True)
    services.item_score_save(round=rnd, point=point, item=items[0], actor=world.inspector2, passed=True,
                             score="3", expected_version=1)
    with pytest.raises(services.ScoreConflict, match="inspector2"):
        services.item_score_save(round=rnd, point=point, item=items[0], actor=world.inspector, passed=True,
                                 expected_version=1)
    assert ItemScore.objects.get().score == 3


def test_non_image_photo_is_refused_and_nothing_is_stored(client, setup, settings):
    world, rnd, point, items = setup
    client.force_login(world.inspector)
    fake = SimpleUploadedFile("现场.jpg", b"%PDF-1.4 not an image at all", content_type="image/jpeg")
    good = SimpleUploadedFile("ok.png", png_bytes(), content_type="image/png")
    r = _post(client, rnd, point, items[0], result="fail", photos=[good, fake])
    body = r.content.decode()
    assert "不是有效的图片" in body and "现场.jpg" in body
    assert not ItemScore.objects.exists() and not ItemPhoto.objects.exists() and not Inspection.objects.exists()
    assert not Case.objects.exists()
    media = settings.MEDIA_ROOT
    assert not any(p.is_file() for p in media.rglob("*")) if media.exists() else True


def test_oversized_photo_is_refused(client, setup, settings):
    world, rnd, point, items = setup
    settings.WENMING_MAX_EVIDENCE_BYTES = 100
    client.force_login(world.inspector)
    big = SimpleUploadedFile("big.png", png_bytes(size=(200, 200)), content_type="image/png")
    r = _post(client, rnd, point, items[0], result="pass", photos=[big])
    assert "超过" in r.content.decode()
    assert not ItemScore.objects.exists()


def test_failed_item_creates_exactly_one_case(client, setup):
    world, rnd, point, items = setup
    load_categories()
    client.force_login(world.inspector)
    item = items[2]  # 公厕清洁 → 公厕脏乱
    assert item.category_name == "公厕脏乱"
    photo = SimpleUploadedFile("toilet.png", png_bytes("blue"), content_type="image/png")
    r = _post(client, rnd, point, item, result="fail", score="1", note="公厕有异味", photos=[photo])
    body = r.content.decode()
    case = Case.objects.get()
    assert case.tracking_code in body
    assert case.channel == Channel.INSPECTION
    assert case.category.name == "公厕脏乱"
    assert (case.lat, case.lng) == (point.lat, point.lng) and case.address == point.address
    assert "荷塘农贸市场" in case.description and "公厕有异味" in case.description
    assert case.idempotency_key == f"inspection:{ItemScore.objects.get().inspection_id}:item:{item.pk}"
    assert CaseAttachment.objects.filter(event__case=case).count() == 1
    s = ItemScore.objects.get()
    assert s.case == case
    # Saving the failed item again (a retry, a changed note) does not make a second case.
    _post(client, rnd, point, item, result="fail", score="0", note="仍有异味", version=s.version)
    assert Case.objects.count() == 1
    # Even if the link were lost, the idempotency key returns the same case.
    ItemScore.objects.update(case=None)
    again = services.failed_item_report(item_score=ItemScore.objects.get(), actor=world.inspector)
    assert again[0] == case and Case.objects.count() == 1


def test_passed_item_creates_no_case(setup):
    world, rnd, point, items = setup
    load_categories()
    services.item_score_save(round=rnd, point=point, item=items[0], actor=world.inspector, passed=True)
    assert not Case.objects.exists()


def test_unknown_category_falls_back_and_missing_taxonomy_is_reported(setup):
    world, rnd, point, items = setup
    result = services.item_score_save(round=rnd, point=point, item=items[0], actor=world.inspector, passed=False)
    assert result.case is None and "未找到问题类别" in result.case_error
    assert ItemScore.objects.count() == 1  # the score itself is kept


def test_only_round_inspectors_and_office_may_score(client, setup):
    world, rnd, point, items = setup
    client.force_login(world.outsider)
    assert client.get(reverse("inspections:round", args=[rnd.pk])).status_code == 403
    assert _post(client, rnd, point, items[0], result="pass").status_code == 403
    client.force_login(world.office)
    assert _post(client, rnd, point, items[0], result="pass").status_code == 200


def test_scoring_refused_when_round_not_in_progress(client, setup):
    world, rnd, point, items = setup
    services.round_close(round=rnd)
    client.force_login(world.inspector)
    r = _post(client, rnd, point, items[0], result="pass")
    assert "不在测评中" in r.content.decode()
    assert not ItemScore.objects.exists()


def test_non_htmx_post_redirects_back_to_the_item(client, setup):
    world, rnd, point, items = setup
    client.force_login(world.inspector)
    url = reverse("inspections:item_save", args=[rnd.pk, point.pk, items[0].pk])
    r = client.post(url, {"result": "pass", "version": 0})
    assert r.status_code == 302 and r["Location"].endswith(f"#item-{items[0].pk}")
    r = client.post(url, {"result": "pass", "version": 0})
    assert r.status_code == 409


def test_photos_are_served_to_the_round_only(client, setup):
    world, rnd, point, items = setup
    client.force_login(world.inspector)
    photo = SimpleUploadedFile("p.png", png_bytes(), content_type="image/png")
    _post(client, rnd, point, items[0], result="pass", photos=photo)
    stored = ItemPhoto.objects.get()
    url = reverse("inspections:photo", args=[stored.pk])
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == png_bytes()
    client.force_login(world.outsider)  # an inspector of no round here
    assert client.get(url).status_code == 403
    client.logout()
    assert client.get(url).status_code == 302  # to the login page
    assert client.get(stored.file.url).status_code == 404  # MEDIA_URL serves nothing
