"""The inspector's journey in Chromium: log in on a phone-sized screen, open the round, score items one by one
(each saved by its own htmx post), fail one with a photo and see the case it created."""

from __future__ import annotations

import pytest

from wenming.cases.models import Case, Channel
from wenming.cases.taxonomy import load_categories
from wenming.inspections.models import ItemScore

from .conftest import png_bytes


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_inspector_scores_items_and_a_failed_item_creates_a_case(world, page):
    load_categories()
    market = world.point("荷塘农贸市场")
    rnd = world.round([market], inspectors=[world.inspector])
    items = list(rnd.checklist_for(market.point_type_id).items.all())
    page.set_viewport_size({"width": 390, "height": 844})

    page.goto("/accounts/login/")
    page.fill("#id_username", "inspector")
    page.fill("#id_password", "pw-" + "x" * 12)
    page.locator("main form button[type=submit]").click()
    page.goto(f"/inspections/rounds/{rnd.pk}/")
    page.click("text=荷塘农贸市场")
    page.wait_for_selector("h1:has-text('荷塘农贸市场')")

    first = page.locator(f"#item-{items[0].pk}")
    first.locator("input[value=pass]").check()
    first.locator("button[type=submit]").click()
    page.wait_for_selector(f"#item-{items[0].pk}[data-outcome=saved]")
    assert "已保存" in page.locator(f"#item-{items[0].pk} .insp-msg").inner_text()

    toilet = page.locator(f"#item-{items[2].pk}")  # 市场内公厕干净整洁 → 公厕脏乱
    toilet.locator("input[value=fail]").check()
    toilet.locator("input[name=score]").fill("1")
    toilet.locator("textarea[name=note]").fill("公厕地面有积水，异味明显")
    toilet.locator("input[type=file]").set_input_files(
        {"name": "公厕.png", "mimeType": "image/png", "buffer": png_bytes("blue", (64, 48))}
    )
    toilet.locator("button[type=submit]").click()
    page.wait_for_selector(f"#item-{items[2].pk}[data-outcome=saved]")
    message = page.locator(f"#item-{items[2].pk} .insp-msg").inner_text()
    assert "已生成问题案件" in message

    # The page never reloaded: the first item's saved state is still on screen.
    assert page.locator(f"#item-{items[0].pk}[data-outcome=saved]").count() == 1
    assert ItemScore.objects.filter(inspection__round=rnd).count() == 2
    case = Case.objects.get()
    assert case.tracking_code in message
    assert case.channel == Channel.INSPECTION and case.category.name == "公厕脏乱"
    assert case.events.get().attachments.count() == 1
