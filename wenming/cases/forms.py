"""Workbench forms: the list filter (shared by page, Excel export and map feed) and one action form per workflow
action. Forms only parse; every rule of the loop lives in workflow.transition() (DESIGN.md §3)."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from wenming.accounts.models import OrgUnit
from wenming.core import workcal
from wenming.geo.models import Jurisdiction, JurisdictionKind

from .models import Case, Category, Channel
from .workflow import SATISFACTION_LABELS, Action, AttachmentIn, Status, delegation_targets

MAX_NOTE = 2000
MAX_PHOTOS = 9


class CaseFilterForm(forms.Form):
    q = forms.CharField(label=_("查询码/描述"), required=False, max_length=100)
    status = forms.ChoiceField(label=_("状态"), required=False, choices=[("", _("全部状态")), *Status.choices])
    category = forms.ModelChoiceField(label=_("问题类别"), required=False, queryset=Category.objects.all(),
                                      empty_label=_("全部类别"))
    unit = forms.ModelChoiceField(label=_("责任单位"), required=False, queryset=OrgUnit.objects.all(),
                                  empty_label=_("全部单位"))
    district = forms.ModelChoiceField(
        label=_("区县"), required=False, empty_label=_("全部区县"),
        queryset=Jurisdiction.objects.filter(kind=JurisdictionKind.DISTRICT),
    )
    street = forms.ModelChoiceField(
        label=_("街道"), required=False, empty_label=_("全部街道"),
        queryset=Jurisdiction.objects.filter(kind=JurisdictionKind.STREET),
    )
    channel = forms.ChoiceField(label=_("来源渠道"), required=False, choices=[("", _("全部渠道")), *Channel.choices])
    date_from = forms.DateField(label=_("上报日期自"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("至"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    overdue = forms.BooleanField(label=_("超期"), required=False)
    supervised = forms.BooleanField(label=_("已督办"), required=False)
    exposed = forms.BooleanField(label=_("已曝光"), required=False)

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        if units is not None:  # a unit's workbench: only its own units to choose from
            self.fields["unit"].queryset = OrgUnit.objects.filter(pk__in=units)
        self.fields["category"].queryset = Category.objects.active()
        if self.data.get("district") and str(self.data.get("district")).isdigit():
            # Streets of the chosen district only; the list stays short.
            self.fields["street"].queryset = Jurisdiction.objects.filter(
                kind=JurisdictionKind.STREET, parent_id=self.data["district"]
            )

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("结束日期不能早于开始日期"))
        return data

    def filters(self) -> dict:
        """Cleaned filters, or none when the form is invalid (the list then shows everything in scope)."""
        return self.cleaned_data if self.is_valid() else {}


class MultipleImageInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleImageField(forms.FileField):
    """Photos; whether each is really an image is checked by content in workflow.prepare_attachments."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleImageInput(attrs={"accept": "image/jpeg,image/png,image/webp,image/gif"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            files = [super(MultipleImageField, self).clean(d, initial) for d in data if d]
        else:
            files = [super().clean(data, initial)] if data else []
        if len(files) > MAX_PHOTOS:
            raise forms.ValidationError(_("最多上传%(n)s张照片") % {"n": MAX_PHOTOS})
        return files


# Actions whose note is a required reason (the workflow refuses them without one; the form says so first).
NOTE_REQUIRED = {
    Action.REJECT: _("请填写不予立案的理由"),
    Action.RETURN: _("请填写退单理由和依据"),
    Action.REQUEST_EXTENSION: _("请填写延期理由"),
    Action.DENY_EXTENSION: _("请填写驳回理由"),
    Action.SUSPEND: _("请填写挂账理由"),
    Action.VERIFY_FAIL: _("请填写返工原因"),
    Action.REOPEN: _("请填写重办原因"),
}
NOTE_LABELS = {
    Action.REJECT: _("不予立案理由（将告知报告人）"),
    Action.RETURN: _("退单理由和依据"),
    Action.DELEGATE: _("下派要求（如处置要点）"),
    Action.REQUEST_EXTENSION: _("延期理由"),
    Action.DENY_EXTENSION: _("驳回理由"),
    Action.SUSPEND: _("挂账理由"),
    Action.VERIFY_FAIL: _("返工原因"),
    Action.REOPEN: _("重办原因"),
    Action.FEED_BACK: _("处置说明"),
    Action.SUPERVISE: _("督办意见"),
    Action.CALLBACK: _("回访记录"),
}


def _local_input(value: dt.datetime | None) -> str:
    return value.astimezone(workcal.tz()).strftime("%Y-%m-%dT%H:%M") if value else ""


class ActionForm(forms.Form):
    """One workflow action on one case. `version` is the case version the user saw (optimistic concurrency)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    note = forms.CharField(label=_("说明"), required=False, max_length=MAX_NOTE,
                           widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, action: str, case: Case, duplicates=(), default_unit=None, **kwargs):
        kwargs.setdefault("prefix", action)
        super().__init__(*args, **kwargs)
        self.action, self.case = action, case
        self.initial.setdefault("version", case.version)
        self.fields["note"].label = NOTE_LABELS.get(action, _("说明"))
        if action in NOTE_REQUIRED:
            self.fields["note"].required = True
            self.fields["note"].error_messages["required"] = NOTE_REQUIRED[action]
        if action in (Action.DISPATCH, Action.CONFIRM_ASSIGNMENT):
            from .selectors import units_for_picker

            self.fields["unit"] = forms.ModelChoiceField(
                label=_("责任单位"), queryset=units_for_picker(), initial=default_unit,
                error_messages={"required": _("请选择派遣单位")},
            )
            self.fields["due_at"] = forms.DateTimeField(
                label=_("处置时限（留空按类别时限计算）"), required=False,
                widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
            )
        elif action == Action.DELEGATE:
            self.fields["unit"] = forms.ModelChoiceField(
                label=_("下派至"), queryset=OrgUnit.objects.filter(pk__in=delegation_targets(case)),
                error_messages={"required": _("请选择下级单位"),
                                "invalid_choice": _("只能下派给本单位的下级单位，请选择下级单位")},
            )
        elif action == Action.REQUEST_EXTENSION:
            self.fields["working_days"] = forms.IntegerField(
                label=_("延长工作日数"), required=False, min_value=1, max_value=60
            )
            self.fields["until"] = forms.DateTimeField(
                label=_("或延期至"), required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
            )
        elif action == Action.FEED_BACK:
            self.fields["photos"] = MultipleImageField(label=_("处置后照片"), required=False)
        elif action == Action.CALLBACK:
            self.fields["satisfaction"] = forms.TypedChoiceField(
                label=_("满意度"), coerce=int, choices=[(k, v) for k, v in SATISFACTION_LABELS.items()],
                widget=forms.RadioSelect, error_messages={"required": _("请选择满意度")},
            )
            self.fields["reopen"] = forms.BooleanField(
                label=_("不满意系责任单位原因，转重办"), required=False, initial=True
            )
        elif action == Action.MERGE:
            self.fields["into"] = forms.ChoiceField(
                label=_("合并至原案件"), required=False,
                choices=[("", _("（选择疑似重复案件）"))]
                # Only an accepted, open case can be the original (workflow._merge); unaccepted ones are listed on
                # the page but not offered here.
                + [(str(d.pk), f"{d.tracking_code} · {d.get_status_display()} · {d.distance_m:.0f}米")
                   for d in duplicates if d.status != Status.REPORTED],
            )
            self.fields["into_code"] = forms.CharField(label=_("或输入原案件查询码"), required=False, max_length=30)

    def clean(self):
        data = super().clean()
        if self.action == Action.MERGE and not self.errors:
            from .models import Case as CaseModel

            target = None
            if data.get("into"):
                target = CaseModel.objects.filter(pk=data["into"]).first()
            elif data.get("into_code"):
                target = CaseModel.objects.by_tracking_code(data["into_code"]).first()
                if target is None:
                    self.add_error("into_code", _("未找到该查询码对应的案件"))
            else:
                self.add_error("into", _("请选择或输入原案件"))
            data["into_case"] = target
        if self.action == Action.REQUEST_EXTENSION and not (data.get("working_days") or data.get("until")):
            self.add_error("working_days", _("请填写延长的工作日数或延期至的时间"))
        return data

    def transition_kwargs(self) -> dict:
        """note / data / attachments for workflow.transition()."""
        d = self.cleaned_data
        data: dict = {}
        attachments = []
        if self.action in (Action.DISPATCH, Action.CONFIRM_ASSIGNMENT):
            data["unit"] = d["unit"]
            if d.get("due_at"):
                data["due_at"] = d["due_at"]
        elif self.action == Action.DELEGATE:
            data["unit"] = d["unit"]
        elif self.action == Action.REQUEST_EXTENSION:
            if d.get("until"):
                data["until"] = d["until"]
            else:
                data["working_days"] = d["working_days"]
        elif self.action == Action.FEED_BACK:
            attachments = [AttachmentIn(file=f, kind="after", name=f.name) for f in d.get("photos") or []]
        elif self.action == Action.CALLBACK:
            data["satisfaction"] = d["satisfaction"]
            data["reopen"] = bool(d.get("reopen"))
        elif self.action == Action.MERGE:
            data["into"] = d.get("into_case")
        return {"note": d.get("note", ""), "data": data, "attachments": attachments}

    @property
    def label(self) -> str:
        return str(Action(self.action).label)

    @property
    def has_files(self) -> bool:
        return self.action == Action.FEED_BACK

    @property
    def requested_until_text(self) -> str:
        return _local_input(self.case.extension_requested_until).replace("T", " ")
