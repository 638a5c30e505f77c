"""The progress-report form. It only parses; every rule lives in services.progress_report_submit."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from wenming.accounts.models import OrgUnit


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".jpg,.jpeg,.png,.webp,.pdf,.docx,.xlsx"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(d, initial) for d in data if d]
        return [super().clean(data, initial)] if data else []


class ProgressReportForm(forms.Form):
    org_unit = forms.IntegerField(label=_("报送单位"), error_messages={"required": _("请选择报送单位。"), "invalid": _("未知单位。")})
    period_start = forms.CharField(label=_("报送期"), error_messages={"required": _("请选择报送期。")})
    value = forms.CharField(label=_("完成值"), required=False, max_length=40)
    unit = forms.CharField(required=False, max_length=20, widget=forms.HiddenInput)
    done = forms.BooleanField(label=_("已完成"), required=False)
    note = forms.CharField(label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    files = MultipleFileField(label=_("佐证材料"), required=False)

    def clean_org_unit(self) -> OrgUnit | None:
        # An unknown id is not a form error: the service gives the one clear message for it.
        return OrgUnit.objects.filter(pk=self.cleaned_data["org_unit"]).first()

    def clean_period_start(self) -> dt.date:
        raw = self.cleaned_data["period_start"].strip()
        try:
            if len(raw) == 7:  # "2019-06" from a month input
                raw += "-01"
            return dt.date.fromisoformat(raw)
        except ValueError:
            raise forms.ValidationError(_("报送期格式不正确，应为 年-月-日，如 2019-06-01。")) from None
