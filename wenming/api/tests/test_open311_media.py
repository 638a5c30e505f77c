"""Open311 `media_url` points at a photo that really downloads (uploads are never served from MEDIA_URL)."""

import pytest

from wenming.cases.models import CaseAttachment, CaseEvent
from wenming.cases.services import case_report
from wenming.cases.workflow import AttachmentIn, transition

from .conftest import png_bytes

pytestmark = pytest.mark.django_db


def test_media_url_of_a_reported_photo_downloads(client, world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    photo = SimpleUploadedFile("现场.png", png_bytes(), content_type="image/png")
    case = case_report(category=world.category, description="人行道上有流动摊贩占道经营", channel="open311",
                       address="芦淞区建设路", photos=[photo])
    [item] = [r for r in client.get("/open311/v2/requests.json").json() if r["service_request_id"] == str(case.pk)]
    assert item["media_url"].startswith("http://testserver/open311/v2/media/")
    response = client.get(item["media_url"].replace("http://testserver", ""))
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == png_bytes()


def test_only_report_photos_of_listed_requests(client, world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    case = case_report(category=world.category, description="人行道上有流动摊贩占道经营", channel="open311",
                       address="芦淞区建设路")
    transition(case, "accept", actor=world.office)
    transition(case, "dispatch", actor=world.office, data={"unit": world.unit.pk})
    transition(case, "sign", actor=world.unit_user)
    transition(case, "feed_back", actor=world.unit_user, note="已处理",
               attachments=[AttachmentIn(SimpleUploadedFile("after.png", png_bytes(), content_type="image/png"),
                                         kind="after")])
    after = CaseAttachment.objects.get(event__action="feed_back")
    assert client.get(f"/open311/v2/media/{after.pk}").status_code == 404  # not the reporter's photo
    assert client.get("/open311/v2/media/999999").json() == [{"code": 404, "description": "没有这张照片"}]
    assert CaseEvent.objects.filter(case=case).count() == 5
