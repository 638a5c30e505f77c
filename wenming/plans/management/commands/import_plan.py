"""`import_plan PATH [--dry-run] [--json]` (console: `wenming import-plan`). A thin shell over importers."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from wenming.plans.importers import FORMATS, PlanImportError, import_plan_file


class Command(BaseCommand):
    @property
    def help(self):  # argparse cannot format lazy strings, so translate when the parser is built
        return _("导入实施方案文档（.txt/.docx）：--dry-run 只显示识别结果与差异，--json 输出结构化结果")

    def add_arguments(self, parser):
        parser.add_argument("path", help=_("方案文件路径（.txt 或 .docx）"))
        parser.add_argument("--dry-run", action="store_true", help=_("试运行：不写入数据库，只显示识别结果和将要做的修改"))
        parser.add_argument("--json", action="store_true", help=_("以 JSON 输出识别到的结构（写到标准输出）"))
        parser.add_argument("--default", action="store_true", dest="is_default", help=_("设为默认方案"))
        parser.add_argument("--format", choices=sorted(FORMATS), help=_("指定文档格式（默认自动识别）"))

    def handle(self, *args, **options):
        try:
            outcome = import_plan_file(
                options["path"],
                dry_run=options["dry_run"],
                is_default=options["is_default"],
                format=options["format"],
            )
        except PlanImportError as exc:
            raise CommandError(_("导入失败：%(error)s") % {"error": exc}) from exc
        # With --json, stdout carries only the JSON document; the human report goes to stderr.
        report = self.stderr if options["json"] else self.stdout
        self.report(outcome, report, verbose=options["dry_run"] or options["verbosity"] >= 2)
        if options["json"]:
            data = outcome.parsed.to_json_dict()
            data["import"] = {
                "dry_run": outcome.dry_run,
                "created": outcome.created,
                "changed": outcome.changed,
                "plan_id": outcome.plan.pk if outcome.plan and outcome.plan.pk else None,
                "diff": outcome.diff,
                "summary": outcome.summary,
            }
            self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))

    def report(self, outcome, out, *, verbose: bool) -> None:
        parsed, s = outcome.parsed, outcome.summary
        fmt = FORMATS.get(parsed.format)
        out.write(_("文档：%(name)s（格式：%(label)s）") % {"name": parsed.source_name, "label": fmt.label if fmt else parsed.format})
        out.write(_("标题：%(title)s") % {"title": parsed.title})
        out.write(
            _("发文机关：%(issuer)s；印发日期：%(issued)s；起止：%(start)s 至 %(end)s")
            % {"issuer": parsed.issuer or "—", "issued": parsed.issued_on or "—", "start": parsed.starts_on, "end": parsed.ends_on}
        )
        out.write(
            _("识别到：%(s)s 个部分、%(m)s 项措施、%(r)s 项责任分工、%(t)s 项目标（其中节点 %(ms)s 项）")
            % {"s": s["sections"], "m": s["measures"], "r": s["responsibilities"], "t": s["targets"], "ms": s["milestones"]}
        )
        if verbose:
            for section in parsed.sections:
                out.write(f"{section.label or section.number} {section.title}")
                for m in section.measures:
                    resp = _("有责任分工") if m.responsibility else _("无责任分工")
                    out.write(
                        _("  %(n)s. %(title)s（%(resp)s，%(t)s 项目标）")
                        % {"n": m.number, "title": m.title, "resp": resp, "t": len(m.targets)}
                    )
        if outcome.dry_run:
            out.write(_("【试运行】未写入数据库。"))
            if outcome.diff:
                out.write(_("导入将做如下修改（%(n)s 处）：") % {"n": len(outcome.diff)})
            else:
                out.write(_("与已导入的方案一致，无需修改。"))
        elif outcome.created:
            out.write(_("已新建方案（编号 %(id)s），修改 %(n)s 处：") % {"id": outcome.plan.pk, "n": len(outcome.diff)})
        elif outcome.changed:
            out.write(_("已更新方案（编号 %(id)s），修改 %(n)s 处：") % {"id": outcome.plan.pk, "n": len(outcome.diff)})
        else:
            out.write(_("方案（编号 %(id)s）与文档一致，未做任何修改。") % {"id": outcome.plan.pk})
        for line in outcome.diff:
            out.write(f"  {line}")
        if s["unresolved_phrases"]:
            out.write(_("未展开到具体单位的集体表述（原样保留）：%(p)s") % {"p": "、".join(s["unresolved_phrases"])})
        if outcome.unclassified:
            out.write(_("未能归类的内容（%(n)s 条，未导入，请人工核对）：") % {"n": len(outcome.unclassified)})
            for line in outcome.unclassified:
                out.write(f"  {line}")
        if parsed.ignored:
            out.write(_("已忽略的网页栏目文字（%(n)s 条）：%(lines)s") % {"n": len(parsed.ignored), "lines": " | ".join(parsed.ignored)})
        for warning in parsed.warnings:
            out.write(_("提示：%(w)s") % {"w": warning})
