import pytest
from django.urls import reverse

from wenming.accounts.models import Membership, OrgUnit, Role, User
from wenming.core import clock

PASSWORD = "Chuangwen#2026x"


@pytest.fixture
def unit_user(db):
    unit = OrgUnit.objects.create(name="市城管局", kind="city_department")
    user = User.objects.create_user("chengguan", password=PASSWORD, display_name="城管局填报员")
    Membership.objects.create(user=user, org_unit=unit, role=Role.UNIT)
    return user


def test_login_page_is_chinese(client, db):
    response = client.get(reverse("accounts:login"))
    assert response.status_code == 200
    assert "登录" in response.content.decode()


def test_unit_user_lands_on_own_list(client, unit_user):
    response = client.post(reverse("accounts:login"), {"username": "chengguan", "password": PASSWORD}, follow=True)
    unit = unit_user.units()[0]
    assert response.redirect_chain[-1][0] == reverse("plans:unit", args=[unit.pk])


def test_wrong_password_says_so_in_chinese(client, unit_user):
    response = client.post(reverse("accounts:login"), {"username": "chengguan", "password": "wrong"})
    assert "用户名或密码错误" in response.content.decode()
    unit_user.refresh_from_db()
    assert unit_user.failed_logins == 1


def test_five_failures_lock_the_account_even_for_the_right_password(client, unit_user):
    for _ in range(5):
        client.post(reverse("accounts:login"), {"username": "chengguan", "password": "wrong"})
    unit_user.refresh_from_db()
    assert unit_user.is_locked()
    response = client.post(reverse("accounts:login"), {"username": "chengguan", "password": PASSWORD})
    assert "锁定" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_lock_expires_after_fifteen_minutes(client, unit_user):
    for _ in range(5):
        client.post(reverse("accounts:login"), {"username": "chengguan", "password": "wrong"})
    unit_user.refresh_from_db()
    with clock.frozen(unit_user.locked_until.replace(microsecond=0) + __import__("datetime").timedelta(minutes=1)):
        response = client.post(reverse("accounts:login"), {"username": "chengguan", "password": PASSWORD})
    assert response.status_code == 302


def test_password_change_and_logout(client, unit_user):
    client.force_login(unit_user)
    new = "Wenming-New-2026!"
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert response.status_code == 302
    unit_user.refresh_from_db()
    assert unit_user.check_password(new)
    client.post(reverse("accounts:logout"))
    assert "_auth_user_id" not in client.session


def test_weak_password_refused_in_chinese(client, unit_user):
    client.force_login(unit_user)
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": "12345678", "new_password2": "12345678"},
    )
    assert response.status_code == 200
    unit_user.refresh_from_db()
    assert unit_user.check_password(PASSWORD)
    assert "密码" in response.content.decode()


def test_descendants_include_child_units(db):
    city = OrgUnit.objects.create(name="荷塘区人民政府", kind="district_government")
    street = OrgUnit.objects.create(name="月塘街道办事处", kind="street", parent=city)
    community = OrgUnit.objects.create(name="某社区居委会", kind="community", parent=street)
    assert {u.name for u in city.descendants_and_self()} == {city.name, street.name, community.name}
    assert community.ancestors() == [street, city]


def test_unit_found_by_alias(db):
    OrgUnit.objects.create(name="株洲市城市管理和综合执法局", aliases="市城管局\n城管局")
    assert OrgUnit.objects.by_name("市城管局").name == "株洲市城市管理和综合执法局"
    assert OrgUnit.objects.by_name("不存在的单位") is None
