from django.core.management.base import BaseCommand, CommandError

from wenming.inspections.excel import ImportRefused, import_points


class Command(BaseCommand):
    help = "从 Excel 导入测评点位（表头：点位类型、点位名称、地址、纬度、经度、责任单位、启用）；任一行有误则整体不导入"

    def add_arguments(self, parser):
        parser.add_argument("path", help="Excel 文件路径 (.xlsx)")
        parser.add_argument("--dry-run", action="store_true", help="只校验，不保存")

    def handle(self, *args, path, dry_run, **options):
        try:
            with open(path, "rb") as f:
                result = import_points(f, dry_run=dry_run)
        except FileNotFoundError:
            raise CommandError(f"文件不存在：{path}") from None
        except ImportRefused as exc:
            raise CommandError("导入失败，未保存任何数据：\n" + "\n".join(exc.errors)) from None
        prefix = "校验通过（未保存）：" if dry_run else "导入完成："
        self.stdout.write(f"{prefix}新增 {result.created} 个点位，更新 {result.updated} 个点位")
