from django.core.management.base import BaseCommand

from wenming.inspections.services import load_checklists, load_grade_bands, load_point_types


class Command(BaseCommand):
    help = "载入测评点位类型、内置测评标准和农贸市场分级标准；可重复运行，不覆盖已修改的数据"

    def handle(self, *args, **options):
        types = load_point_types()
        checklists = load_checklists()
        bands = load_grade_bands()
        self.stdout.write(
            f"点位类型新建 {types['created']} 个；测评标准新建 {checklists['created']} 套；分级标准新建 {bands['created']} 条"
        )
