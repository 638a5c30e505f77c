from django.core.management.base import BaseCommand

from wenming.cases.taxonomy import load_categories


class Command(BaseCommand):
    help = "载入内置问题类别（事件/部件及实施意见点名的不文明现象）；可重复运行，不覆盖已修改的类别"

    def handle(self, *args, **options):
        counts = load_categories()
        self.stdout.write(f"新建 {counts['created']} 个类别，已存在 {counts['existing']} 个")
