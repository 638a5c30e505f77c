from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from wenming.geo.importers import GridImportError, import_grid_geojson


class Command(BaseCommand):
    help = "从 GeoJSON 导入单元网格（全部校验通过才保存；同编码更新）/ import grid cells from GeoJSON"

    def add_arguments(self, parser):
        parser.add_argument("path", help="GeoJSON 文件路径 / path to a FeatureCollection")
        parser.add_argument("--dry-run", action="store_true", help="只校验不保存 / validate only")

    def handle(self, path, dry_run=False, **options):
        try:
            summary = import_grid_geojson(path, dry_run=dry_run)
        except GridImportError as exc:
            raise CommandError(_("导入失败，未保存任何数据：") + "\n" + str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(str(summary)))
