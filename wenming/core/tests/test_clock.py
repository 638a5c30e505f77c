import datetime as dt

from wenming.core import clock


def test_frozen_clock_is_what_everyone_sees():
    with clock.frozen("2019-06-30"):
        assert clock.today() == dt.date(2019, 6, 30)
        assert clock.now().tzinfo is not None
        assert clock.now().utcoffset() == dt.timedelta(hours=8)  # Asia/Shanghai


def test_frozen_restores_previous_freeze():
    with clock.frozen("2020-01-01"):
        with clock.frozen("2021-05-05"):
            assert clock.today() == dt.date(2021, 5, 5)
        assert clock.today() == dt.date(2020, 1, 1)


def test_env_today_sets_demo_date(monkeypatch):
    monkeypatch.setenv("WENMING_TODAY", "2019-10-15")
    assert clock.today() == dt.date(2019, 10, 15)
