"""Forms of the public pages: the inspectors' quick report, tracking-code look-up and the 回访 callback.

The report forms themselves live with the intake in `wenming.cases.views_intake` (portal builds on cases, never the
other way round: DESIGN.md §3), so the public page, the hotline intake and the quick report check alike.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from wenming.cases.models import Channel
from wenming.cases.views_intake import ReportForm
from wenming.cases.workflow import SATISFACTION_LABELS

# Seed §41: 两代表一委员、志愿者队伍、新闻媒体 report alongside the office's own inspectors.
QUICK_CHANNELS = [Channel.INSPECTOR, Channel.DEPUTY, Channel.MEDIA, Channel.VOLUNTEER]


class QuickReportForm(ReportForm):
    """An inspector, 两代表一委员, journalist or volunteer reports from the street (seed §41 督查机制)."""

    channel = forms.ChoiceField(label=_("报告身份"), choices=[(c.value, c.label) for c in QUICK_CHANNELS])

    field_order = ["channel", "category", "lat", "lng", "address", "description", "photos"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The account is the reporter: the name and number are on it, not typed again on the street.
        del self.fields["reporter_name"]
        del self.fields["reporter_phone"]


class TrackForm(forms.Form):
    code = forms.CharField(label=_("查询码"), max_length=40, error_messages={"required": _("请输入查询码")})


class CallbackForm(forms.Form):
    """回访 (seed §21 回访机制) on the five GB/T 39734-2020 levels, 非常满意 first as people read them."""

    satisfaction = forms.TypedChoiceField(
        label=_("您对办理结果的评价"),
        coerce=int,
        choices=sorted(SATISFACTION_LABELS.items(), reverse=True),
        widget=forms.RadioSelect,
        error_messages={"required": _("请选择满意度"), "invalid_choice": _("请选择满意度")},
    )
    comment = forms.CharField(label=_("意见和建议（可不填）"), required=False, max_length=500,
                              widget=forms.Textarea(attrs={"rows": 3}),
                              error_messages={"max_length": _("意见和建议不能超过500个字")})
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
