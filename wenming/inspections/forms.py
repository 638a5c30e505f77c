"""Forms parse; rules live in services (round_create, item_score_save)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from wenming.accounts.models import Role, User
from wenming.core import clock
from wenming.geo.models import Jurisdiction, JurisdictionKind

from .models import PointType


class RoundForm(forms.Form):
    name = forms.CharField(label=_("轮次名称"), max_length=100)
    start_date = forms.DateField(label=_("开始日期"), widget=forms.DateInput(attrs={"type": "date"}))
    end_date = forms.DateField(label=_("结束日期"), widget=forms.DateInput(attrs={"type": "date"}))
    inspectors = forms.ModelMultipleChoiceField(
        label=_("测评员"), queryset=User.objects.none(), widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("请至少选择一名测评员")},
    )
    point_types = forms.ModelMultipleChoiceField(
        label=_("点位类型"), queryset=PointType.objects.all(), widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("请至少选择一种点位类型")},
    )
    districts = forms.ModelMultipleChoiceField(
        label=_("区县（不选为全部）"), queryset=Jurisdiction.objects.filter(kind=JurisdictionKind.DISTRICT),
        required=False, widget=forms.CheckboxSelectMultiple,
    )
    sample_per_type = forms.IntegerField(
        label=_("每类抽取点位数（0 为全部）"), min_value=0, max_value=10000, initial=0,
    )
    seed = forms.IntegerField(
        label=_("抽样种子"), min_value=0, max_value=2**31 - 1,
        help_text=_("相同的种子与条件总是抽到相同的点位，便于复核"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["inspectors"].queryset = (
            User.objects.filter(is_active=True, memberships__role__in=[Role.INSPECTOR, Role.OFFICE]).distinct()
            .order_by("username")
        )
        self.fields["seed"].initial = int(clock.today().strftime("%Y%m%d"))

    def clean(self):
        data = super().clean()
        if data.get("start_date") and data.get("end_date") and data["end_date"] < data["start_date"]:
            self.add_error("end_date", _("结束日期不能早于开始日期"))
        return data


class PointImportForm(forms.Form):
    file = forms.FileField(label=_("Excel 文件（.xlsx）"))
    dry_run = forms.BooleanField(label=_("只校验，不保存"), required=False)
