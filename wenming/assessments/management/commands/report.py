"""`wenming report …` — periodic products from the shell (seed §38/§41).

    wenming report generate weekly --period 2026-W47 --out DIR   build now, write the .docx and .xlsx into DIR
    wenming report export quarterly --period 2026-Q3 --out DIR   write the newest version's stored files
    wenming report schedule                                      queue whatever is due (cron: hourly)
    wenming report rules --period 2026-Q3                        run the accountability rules for a quarter

Kinds: weekly 周观察 (2026-W47), monthly 月分析 (2026-11), quarterly 季通报 (2026-Q3), annual 年考核 (2026).
`report schedule` is safe from cron every hour: a period that already has a product is skipped. Example crontab
line (with `wenming worker` running to execute the queued jobs):

    5 * * * *  cd /srv/wenming && wenming report schedule
"""

from __future__ import annotations

import shutil
from pathlib import Path

from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from wenming.assessments.models import Product, ProductKind
from wenming.assessments.products.periods import PeriodError, parse_period
from wenming.assessments.products.services import ProductError, generate_now
from wenming.core.charts import NoCJKFontError

KINDS = [k.value for k in ProductKind]


def write_files(product: Product, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    stem = f"{product.get_kind_display()}-{product.period_key}-v{product.version}"
    paths = []
    for field, ext in ((product.docx, "docx"), (product.xlsx, "xlsx")):
        if not field.name:
            raise CommandError(_("该产品还没有生成文件。"))
        target = out / f"{stem}.{ext}"
        with default_storage.open(field.name, "rb") as src, open(target, "wb") as dst:
            shutil.copyfileobj(src, dst)
        paths.append(target.resolve())
    return paths


class Command(BaseCommand):
    help = "考评产品：生成（周观察、月分析、季通报、年考核）、导出、按计划排队、运行约谈问责规则"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        gen = sub.add_parser("generate", help="立即生成并写出 .docx 与 .xlsx")
        gen.add_argument("kind", choices=KINDS)
        gen.add_argument("--period", required=True, help="2026-W47 / 2026-11 / 2026-Q3 / 2026")
        gen.add_argument("--out", required=True, help="输出目录")
        exp = sub.add_parser("export", help="写出最新版本已保存的 .docx 与 .xlsx")
        exp.add_argument("kind", choices=KINDS)
        exp.add_argument("--period", required=True)
        exp.add_argument("--out", required=True)
        sub.add_parser("schedule", help="将到期的产品排入任务队列（可每小时由 cron 运行）")
        rules = sub.add_parser("rules", help="按季度运行约谈问责规则")
        rules.add_argument("--period", required=True, help="季度，如 2026-Q3")

    def handle(self, *args, action, **opts):
        try:
            return getattr(self, f"do_{action}")(**opts)
        except (PeriodError, ProductError, NoCJKFontError) as exc:
            raise CommandError(str(exc)) from None

    def do_generate(self, kind, period, out, **_opts):
        product = generate_now(kind=kind, period=parse_period(kind, period))
        for path in write_files(product, Path(out)):
            self.stdout.write(str(path))

    def do_export(self, kind, period, out, **_opts):
        period = parse_period(kind, period)
        product = Product.objects.latest_version(kind, period.code)
        if product is None:
            raise CommandError(_("该周期尚未生成%(k)s。") % {"k": ProductKind(kind).label})
        for path in write_files(product, Path(out)):
            self.stdout.write(str(path))

    def do_schedule(self, **_opts):
        from wenming.assessments.schedule import enqueue_due

        queued = enqueue_due()
        for p in queued:
            self.stdout.write(_("已排队：%(k)s %(p)s") % {"k": p.get_kind_display(), "p": p.period_key})
        if not queued:
            self.stdout.write(_("没有到期的考评产品。"))

    def do_rules(self, period, **_opts):
        from wenming.assessments.accountability import AccountabilityError, run_rules

        try:
            opened = run_rules(parse_period(ProductKind.QUARTERLY, period))
        except AccountabilityError as exc:
            raise CommandError(str(exc)) from None
        for iv in opened:
            self.stdout.write(_("新开约谈：%(u)s — %(r)s") % {"u": iv.unit, "r": iv.reason})
        self.stdout.write(_("共新开约谈 %(n)s 件。") % {"n": len(opened)})
