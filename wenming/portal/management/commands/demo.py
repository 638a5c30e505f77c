import datetime as dt

from django.core.management import BaseCommand, call_command
from django.utils.translation import gettext as _

from wenming.core import clock
from wenming.portal.demo import (
    DEMO_LOGINS,
    DEMO_PASSWORD,
    create_demo_cases,
    create_demo_reports,
    create_demo_users,
)


class Command(BaseCommand):
    help = _("初始化数据库、导入默认实施方案（株洲 2018）、生成演示网格与演示数据，并打印演示账号。可重复运行。")

    def add_arguments(self, parser):
        parser.add_argument("--today", help=_("演示数据截止日期 YYYY-MM-DD（默认：平台当前日期）"))
        parser.add_argument("--no-reports", action="store_true", help=_("不生成进度报送与案件演示数据"))

    def handle(self, *args, **options):
        from wenming.cases.taxonomy import load_categories
        from wenming.geo.demo import build_demo_grid
        from wenming.plans.importers import import_default_plan

        today = dt.date.fromisoformat(options["today"]) if options["today"] else clock.today()
        self.stdout.write(_("1/5 更新数据库结构…"))
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write(_("2/5 导入默认实施方案与区划…"))
        outcome = import_default_plan()
        plan = outcome.plan
        self.stdout.write(
            "    "
            + _("%(title)s：%(sections)d 个部分，%(measures)d 项措施，%(targets)d 个目标（%(state)s）")
            % {
                "title": plan.title,
                "sections": plan.sections.count(),
                "measures": plan.measures.count(),
                "targets": sum(m.targets.count() for m in plan.measures.all()),
                "state": _("新导入") if outcome.created else _("已存在，未改动"),
            }
        )
        self.stdout.write(_("3/5 生成演示网格与问题类别…"))
        grid = build_demo_grid()
        self.stdout.write("    " + str(grid))
        categories = load_categories()
        self.stdout.write(
            "    " + _("问题类别：新增 %(new)d，已有 %(old)d") % {"new": categories["created"], "old": categories["existing"]}
        )
        self.stdout.write(_("4/5 生成演示账号与进度报送（截至 %(day)s）…") % {"day": today.isoformat()})
        users = create_demo_users()
        reports = 0 if options["no_reports"] else create_demo_reports(plan, today)
        self.stdout.write("    " + _("新建账号 %(u)d 个，新建进度报送 %(r)d 条") % {"u": users, "r": reports})
        self.stdout.write(_("5/5 生成演示案件（经由统一的办理流程）…"))
        cases = 0 if options["no_reports"] else create_demo_cases(today)
        self.stdout.write("    " + _("新建案件 %(n)d 件") % {"n": cases})
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(_("演示账号（密码均为 %(pw)s）：") % {"pw": DEMO_PASSWORD}))
        for login in DEMO_LOGINS:
            self.stdout.write(f"  {login.username:<10} {login.description}")
