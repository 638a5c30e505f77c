from django.core.management.base import BaseCommand

from wenming.geo.demo import build_demo_grid


class Command(BaseCommand):
    help = "生成株洲演示网格（区县、街道演示边界，演示社区与单元网格；可重复运行）/ build the demo grid"

    def handle(self, **options):
        self.stdout.write(self.style.SUCCESS(str(build_demo_grid())))
