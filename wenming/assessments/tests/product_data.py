"""Inspection data for the product tests: a point type with a two-item checklist, points in both districts of the
metrics conftest's town, and item scores (observations) with photos, written straight through the ORM."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import itertools
from decimal import Decimal

from django.core.files.base import ContentFile
from PIL import Image

from wenming.inspections.models import (
    Checklist,
    ChecklistItem,
    Inspection,
    InspectionPoint,
    ItemPhoto,
    ItemScore,
    PointType,
    Round,
    RoundStatus,
)

_n = itertools.count(1)


def jpeg(color="red") -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), color).save(buf, format="JPEG")
    return buf.getvalue()


class Field:
    def __init__(self, town, year=2019):
        self.town = town
        self.type = PointType.objects.create(code=f"pt{next(_n)}", name=f"测试点位类型{next(_n)}")
        self.checklist = Checklist.objects.create(point_type=self.type, year=year)
        self.items = [
            ChecklistItem.objects.create(checklist=self.checklist, code="A1", text="地面干净，无垃圾", points=Decimal(6)),
            ChecklistItem.objects.create(checklist=self.checklist, code="A2", text="无占道经营", points=Decimal(4)),
        ]
        self.round = Round.objects.create(name="测试轮次", start_date=dt.date(year, 1, 1), end_date=dt.date(year, 12, 31),
                                          status=RoundStatus.IN_PROGRESS)

    def point(self, name, district, unit=None):
        return InspectionPoint.objects.create(point_type=self.type, name=name, district=district,
                                              responsible_unit=unit or self.town.unit)

    def observe(self, point, moment, scores, *, photo=False):
        """Score both items at `moment`: scores = (A1 score, A2 score); a score under full marks fails."""
        inspection, _ = Inspection.objects.get_or_create(round=self.round, point=point,
                                                         defaults={"inspector": self.town.office, "started_at": moment})
        out = []
        for item, score in zip(self.items, scores, strict=True):
            s = ItemScore.objects.create(
                inspection=inspection, item=item, score=Decimal(score), passed=Decimal(score) >= item.points,
                note="" if Decimal(score) >= item.points else "发现问题", scored_by=self.town.office, scored_at=moment,
            )
            if photo and not s.passed:
                data = jpeg()
                p = ItemPhoto(item_score=s, original_name="问题.jpg", content_type="image/jpeg", size=len(data),
                              sha256=hashlib.sha256(data + str(s.pk).encode()).hexdigest())
                p.file.save(f"p{s.pk}.jpg", ContentFile(data), save=True)
            out.append(s)
        return out
