import json

from django.core.management.base import BaseCommand, CommandError

from wenming.geo.locate import InvalidCoordinates, OutsideJurisdiction, locate


class Command(BaseCommand):
    help = "查询坐标（WGS84）所在的网格、社区、街道、区县 / which grid cell, community, street, district hold a point"

    def add_arguments(self, parser):
        parser.add_argument("lat", help="纬度 / latitude")
        parser.add_argument("lng", help="经度 / longitude")

    def handle(self, lat, lng, **options):
        try:
            result = locate(lat, lng)
        except (InvalidCoordinates, OutsideJurisdiction) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
