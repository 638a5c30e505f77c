"""POST /api/v1/cases/{ref}/actions/upload: a workflow action with photos (multipart), through transition()."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from wenming.cases.models import Case, CaseAttachment, CaseEvent, Channel
from wenming.cases.services import case_report
from wenming.cases.workflow import Action, Status, transition

from .conftest import bearer, png_bytes

pytestmark = pytest.mark.django_db
V1 = "/api/v1"


def assert_error(r, status, code=None):
    assert r.status_code == status, r.content.decode()
    body = r.json()
    assert set(body) >= {"code", "message"}
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["message"]), body
    if code:
        assert body["code"] == code
    return body


def photo(name="处置后.png", color=(30, 200, 30)):
    return SimpleUploadedFile(name, png_bytes(color), content_type="image/png")


@pytest.fixture
def signed(world, frozen):
    """A case dispatched to 市城管局 and signed for: the unit may now feed back."""
    case = case_report(category=world.category, description="人行道上有流动摊贩占道经营", address="建设路 1 号",
                       lat=27.83, lng=113.13, channel=Channel.WEB)
    transition(case, Action.ACCEPT, actor=world.office)
    transition(case, Action.DISPATCH, actor=world.office, data={"unit": world.unit})
    transition(case, Action.SIGN, actor=world.unit_user)
    return case


def upload(client, case, token=None, **fields):
    headers = bearer(token) if token else {}
    return client.post(f"{V1}/cases/{case.pk}/actions/upload", fields, **headers)


def test_unit_feeds_back_with_photos(client, world, signed):
    r = upload(client, signed, world.unit_token, action="feed_back", note="已清理占道摊点",
               expected_version=signed.version, photos=[photo(), photo("二.png", (10, 10, 200))])
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["status"] == Status.HANDLED and body["view"] == "full"
    event = CaseEvent.objects.get(case=signed, action=Action.FEED_BACK)
    assert event.note == "已清理占道摊点" and event.actor_unit == world.unit
    atts = list(CaseAttachment.objects.filter(event=event))
    assert len(atts) == 2 and {a.kind for a in atts} == {"after"} and {a.content_type for a in atts} == {"image/png"}
    feed = [e for e in body["timeline"] if e["action"] == "feed_back"][0]
    assert len(feed["attachments"]) == 2 and feed["attachments"][0]["kind"] == "after"


def test_photos_alone_are_evidence_enough(client, world, signed):
    # feed_back needs a note or a photo (workflow guard): a photo with no note is accepted.
    r = upload(client, signed, world.unit_token, action="feed_back", photos=[photo()])
    assert r.status_code == 200, r.content
    assert Case.objects.get(pk=signed.pk).status == Status.HANDLED


def test_other_actions_store_photos_as_evidence(client, world, signed):
    r = upload(client, signed, world.unit_token, action="request_extension", note="雨天无法施工", working_days=2,
               photos=[photo()])
    assert r.status_code == 200, r.content
    assert CaseAttachment.objects.get().kind == "evidence"


def test_without_photos_behaves_like_the_json_action(client, world, signed):
    assert_error(upload(client, signed, world.unit_token, action="feed_back"), 400, "evidence_required")
    r = upload(client, signed, world.unit_token, action="feed_back", note="已清理")
    assert r.status_code == 200 and r.json()["status"] == "handled"
    assert CaseAttachment.objects.count() == 0


def test_fake_image_is_refused_and_nothing_changes(client, world, signed):
    fake = SimpleUploadedFile("a.png", b"<?php system($_GET['c']); ?>", content_type="image/png")
    body = assert_error(upload(client, signed, world.unit_token, action="feed_back", note="已清理", photos=[fake]),
                        400, "file_type")
    assert "a.png" in body["message"]
    case = Case.objects.get(pk=signed.pk)
    assert case.status == Status.IN_PROGRESS and case.version == signed.version
    assert not CaseEvent.objects.filter(case=signed, action=Action.FEED_BACK).exists()
    assert CaseAttachment.objects.count() == 0


def test_too_many_photos(client, world, signed):
    photos = [photo(f"{i}.png") for i in range(10)]
    assert_error(upload(client, signed, world.unit_token, action="feed_back", note="已清理", photos=photos), 400,
                 "invalid")
    assert CaseAttachment.objects.count() == 0


def test_version_conflict(client, world, signed):
    body = assert_error(upload(client, signed, world.unit_token, action="feed_back", note="已清理",
                               expected_version=signed.version - 1, photos=[photo()]), 409, "case_changed")
    assert "刷新" in body["message"]
    assert CaseAttachment.objects.count() == 0


def test_auth_and_scope_refusals(client, world, signed):
    assert_error(upload(client, signed, None, action="feed_back", note="已清理", photos=[photo()]), 401,
                 "unauthorized")
    assert_error(upload(client, signed, world.read_token, action="feed_back", note="已清理"), 403, "forbidden")
    # Another unit may not act on this case: transition() decides by roles, whatever the scope.
    assert_error(upload(client, signed, world.other_token, action="feed_back", note="已清理", photos=[photo()]),
                 403, "forbidden")
    assert CaseAttachment.objects.count() == 0


def test_bad_input(client, world, signed):
    assert_error(upload(client, signed, world.unit_token, action="feed_back", note="已清理", evil="1"), 400,
                 "invalid")
    assert_error(upload(client, signed, world.unit_token, action="fly"), 400, "unknown_action")
    assert_error(upload(client, signed, world.unit_token, note="已清理"), 400, "invalid")  # no action
    assert_error(upload(client, signed, world.unit_token, action="feed_back", expected_version="x"), 400, "invalid")
    assert_error(upload(client, signed, world.unit_token, action="feed_back", note="已\x00清理"), 400, "invalid")
    r = client.post(f"{V1}/cases/NOPE0000/actions/upload", {"action": "feed_back", "note": "x"},
                    **bearer(world.unit_token))
    assert_error(r, 404, "not_found")
    assert Case.objects.get(pk=signed.pk).status == Status.IN_PROGRESS
