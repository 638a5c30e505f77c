"""Taking in reports (issue #3 §2): the report forms every page shares, the one submit path, and the hotline
operators' intake page (/cases/intake/).

The public report page and the inspectors' quick report (wenming.portal) build on the forms and on `take_report`
here, so every door checks the same way and ends in `services.case_report`, the one service that saves a report
(DESIGN.md §3). Forms only check what a person typed and put Chinese messages next to the field; nothing is stored
until case_report runs, and a refusal from case_report comes back onto the form the same way (DESIGN.md §7).

Duplicates (DESIGN.md §4): before saving, open cases of the same category within the category's radius are shown.
"这是同一个问题" still creates the reporter's own case — every report gets its own tracking code and 受理回单
(seed §21) — and records which case the reporter named in the case title, so the office merges it on acceptance
(workflow action `merge`, reported → merged). Nothing is attached to the original without the office deciding:
the reporter may be wrong, and the merge is an office act in the workflow table.
"""

from __future__ import annotations

import dataclasses
import re
import secrets

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_http_methods

from .models import Case, Category, Channel
from .services import DESCRIPTION_MAX, DESCRIPTION_MIN, MAX_PHOTOS, case_report, find_duplicates
from .workflow import ALLOWED_CONTENT_TYPES

# Mainland mobile (1[3-9] + 9 digits) or a landline: area code 0xx/0xxx and 7–8 digits, or 7–8 local digits.
MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE_RE = re.compile(r"^(0\d{2,3}-?)?[2-9]\d{6,7}$")
IDEMPOTENCY_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")

# Channels a hotline operator may record: the office takes calls, letters and walk-ins from every source.
PUBLIC_CHANNELS = {Channel.WEB, Channel.H5, Channel.HOTLINE, Channel.INSPECTOR, Channel.MEDIA, Channel.DEPUTY,
                   Channel.VOLUNTEER}
INTAKE_CHANNELS = [Channel.HOTLINE, Channel.WEB, Channel.H5, Channel.INSPECTOR, Channel.MEDIA, Channel.DEPUTY,
                   Channel.VOLUNTEER]


def new_idempotency_key() -> str:
    return secrets.token_urlsafe(18)


def normalise_phone(text: str) -> str:
    return re.sub(r"[\s()（）]", "", text or "")


def phone_is_valid(phone: str) -> bool:
    return bool(MOBILE_RE.match(phone) or LANDLINE_RE.match(phone))


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Up to MAX_PHOTOS images, checked by content (Pillow), never by file name or the browser's content type."""

    widget = MultipleFileInput

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)
        self.widget.attrs.setdefault("accept", "image/*")

    def clean(self, data, initial=None):
        files = [f for f in (data if isinstance(data, (list, tuple)) else [data]) if f]
        if len(files) > MAX_PHOTOS:
            raise ValidationError(_g("最多上传%(n)s张照片，您选择了%(got)s张") % {"n": MAX_PHOTOS, "got": len(files)})
        limit = getattr(settings, "WENMING_MAX_EVIDENCE_BYTES", 10 * 1024 * 1024)
        for f in files:
            if f.size > limit:
                raise ValidationError(
                    _g("照片「%(name)s」超过 %(mb)s MB，请压缩后重新选择") % {"name": f.name, "mb": limit // (1024 * 1024)}
                )
            if not is_image(f):
                raise ValidationError(_g("文件「%(name)s」不是有效的图片（支持 JPEG、PNG、WebP、GIF）") % {"name": f.name})
        return files


def is_image(f) -> bool:
    """Real image content of an allowed type. Any failure to decode, a decompression bomb included, refuses."""
    from PIL import Image

    try:
        f.seek(0)
        with Image.open(f) as image:
            image.verify()
            real_type = Image.MIME.get(image.format or "", "")
    except Exception:  # Pillow raises many kinds; each one means "not an image we accept"
        real_type = ""
    finally:
        f.seek(0)
    return real_type in ALLOWED_CONTENT_TYPES


class CategoryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.main_class} · {obj.name}"


def locate_message(lat: str, lng: str) -> str:
    """The geo module's Chinese message for a bad point, or "" when the point is good (or no boundaries exist)."""
    from wenming.geo import locate as geo_locate

    try:
        geo_locate.validate_point(lat, lng)
    except geo_locate.InvalidCoordinates as exc:
        return str(exc)
    # The rule of services.locate_point: with no boundaries loaded, "outside" cannot be decided.
    if not geo_locate.boundaries_loaded():
        return ""
    try:
        geo_locate.locate(lat, lng)
    except geo_locate.InvalidCoordinates as exc:
        return str(exc)
    except geo_locate.OutsideJurisdiction as exc:
        return _g("%(reason)s，请在地图上重新选择问题发生的位置") % {"reason": exc}
    return ""


class ReportForm(forms.Form):
    """What a citizen fills in on /report/ (DESIGN.md §4: anonymous allowed; a pin on the map or an address)."""

    category = CategoryChoiceField(
        label=_("问题类别"),
        queryset=Category.objects.none(),
        empty_label=pgettext_lazy("选择", "请选择问题类别"),
        error_messages={"required": _("请选择问题类别"), "invalid_choice": _("请选择有效的问题类别")},
    )
    lat = forms.CharField(label=_("纬度"), required=False, widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    lng = forms.CharField(label=_("经度"), required=False, widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    address = forms.CharField(label=_("地址或位置说明"), required=False, max_length=200,
                              error_messages={"max_length": _("地址不能超过200个字")})
    description = forms.CharField(
        label=_("问题描述"),
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": DESCRIPTION_MAX}),
        max_length=DESCRIPTION_MAX,
        error_messages={"required": _("请描述问题"), "max_length": _("问题描述不能超过%(limit_value)s个字")},
    )
    photos = PhotosField(label=_("现场照片（最多9张）"))
    reporter_name = forms.CharField(label=_("姓名（可不填）"), required=False, max_length=50,
                                    error_messages={"max_length": _("姓名不能超过50个字")})
    reporter_phone = forms.CharField(label=_("联系电话（可不填）"), required=False, max_length=20,
                                     widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
                                     error_messages={"max_length": _("联系电话格式不正确")})
    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False)
    # The reporter's answer to the duplicate question, sent by the buttons and radios of _duplicates.html:
    # "same" (这是同一个问题, with the case picked) or "new" (不是，仍然提交). Not rendered as fields.
    duplicate_decision = forms.ChoiceField(choices=[("", ""), ("same", "same"), ("new", "new")], required=False)
    duplicate_of = forms.IntegerField(required=False, error_messages={"invalid": _("请重新选择同一问题")})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = self.category_queryset()
        if not self.is_bound or not IDEMPOTENCY_RE.match(self.data.get("idempotency_key") or ""):
            # A fresh key per rendered form. A bound form keeps its key: nothing was saved under it yet.
            key = new_idempotency_key()
            self.initial["idempotency_key"] = key
            if self.is_bound:
                self.data = self.data.copy()
                self.data["idempotency_key"] = key

    def category_queryset(self):
        return Category.objects.public().order_by("kind", "main_code", "order", "code")

    def clean_description(self):
        text = self.cleaned_data["description"]
        if len(text) < DESCRIPTION_MIN:
            raise ValidationError(_g("请描述问题，至少%(n)s个字") % {"n": DESCRIPTION_MIN})
        return text

    def clean_reporter_phone(self):
        phone = normalise_phone(self.cleaned_data.get("reporter_phone", ""))
        if phone and not phone_is_valid(phone):
            raise ValidationError(_g("请填写正确的手机号（11位）或固定电话（如 0731-22334455）"))
        return phone

    def clean(self):
        data = super().clean()
        lat, lng = (data.get("lat") or "").strip(), (data.get("lng") or "").strip()
        data["lat"] = data["lng"] = None
        if bool(lat) != bool(lng):
            self.add_error("lat", _g("请同时填写纬度和经度，或在地图上点选位置"))
        elif lat:
            message = locate_message(lat, lng)
            if message:
                self.add_error("lat", message)
            else:
                data["lat"], data["lng"] = float(lat), float(lng)
        elif not (data.get("address") or "").strip() and "address" not in self.errors:
            self.add_error("address", _g("请在地图上选择位置或填写地址"))
        return data


class IntakeForm(ReportForm):
    """A hotline operator takes a call (seed §21 统一政务咨询投诉举报平台): channel, caller, callback number."""

    channel = forms.ChoiceField(
        label=_("来源渠道"), choices=[(c.value, c.label) for c in INTAKE_CHANNELS], initial=Channel.HOTLINE
    )
    is_urgent = forms.BooleanField(label=_("紧急"), required=False)

    field_order = ["channel", "reporter_name", "reporter_phone", "category", "lat", "lng", "address", "description",
                   "photos", "is_urgent"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reporter_name"].label = _("来电人姓名")
        self.fields["reporter_phone"].label = _("回访电话")

    def category_queryset(self):
        # Staff may file into categories the public cannot choose.
        return Category.objects.active().order_by("kind", "main_code", "order", "code")


# ---------------------------------------------------------------------------------------------------------------
# The one submit path


@dataclasses.dataclass
class Outcome:
    """What became of a submitted form: a saved (or earlier saved) case, or the form to show again."""

    case: Case | None = None
    duplicates: list[Case] = dataclasses.field(default_factory=list)
    photos_lost: bool = False


FIELD_FOR_ERROR = {"location": "lat"}
SAME_AS_RE = re.compile(r"(WM\d{8}[0-9A-Z]{6})")


def same_as_code(case: Case) -> str:
    """The tracking code the reporter named as the same problem ("这是同一个问题"), or ""."""
    found = SAME_AS_RE.search(case.title or "") if case.channel in PUBLIC_CHANNELS else None
    return found.group(1) if found else ""


def take_report(
    request, form: ReportForm, *, channel: str, key_prefix: str, actor=None, contact: dict | None = None
) -> Outcome:
    """Validate `form`, offer duplicates, then case_report. On refusal the form holds the Chinese messages.

    The idempotency key is namespaced by the door (`key_prefix`) so a key from one door never finds another's case.
    A resubmitted key returns the first case before any validation: a double click, or a retry whose photos were
    not chosen again, must not make a second case or an error (DESIGN.md §7 duplicate submits).
    `contact` gives reporter_name / reporter_phone when the form does not ask (a logged-in reporter's account).
    """
    raw_key = form.data.get("idempotency_key") or ""
    key = f"{key_prefix}:{raw_key}" if IDEMPOTENCY_RE.match(raw_key) else None
    if key:
        existing = Case.objects.filter(idempotency_key=key).first()
        if existing is not None:
            return Outcome(case=existing)
    photos_chosen = bool(request.FILES.getlist("photos"))
    if not form.is_valid():
        return Outcome(photos_lost=photos_chosen)
    data = form.cleaned_data
    title = ""
    if data["lat"] is not None:
        duplicates = find_duplicates((data["lat"], data["lng"]), data["category"])
        decision = data.get("duplicate_decision")
        if duplicates and not decision:
            return Outcome(duplicates=duplicates, photos_lost=photos_chosen)
        if decision == "same":
            original = next((c for c in duplicates if c.pk == data.get("duplicate_of")), None)
            if original is not None:
                title = _g("报告人确认与 %(code)s 为同一问题") % {"code": original.tracking_code}
    try:
        case = case_report(
            category=data["category"],
            description=data["description"],
            lat=data["lat"],
            lng=data["lng"],
            address=data.get("address", ""),
            channel=channel or data.get("channel"),
            reporter_name=(contact or data).get("reporter_name", ""),
            reporter_phone=(contact or data).get("reporter_phone", ""),
            photos=data.get("photos") or [],
            idempotency_key=key,
            actor=actor,
            title=title,
            is_urgent=bool(data.get("is_urgent")),
        )
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            field = FIELD_FOR_ERROR.get(field, field)
            for message in messages:
                form.add_error(field if field in form.fields else None, message)
        return Outcome(photos_lost=photos_chosen)
    return Outcome(case=case)


def form_context(form: ReportForm, outcome: Outcome | None = None) -> dict:
    """Template context shared by every report page (the map partial, the duplicate choice, the photo notice)."""
    config = settings.LEAFLET_CONFIG
    tiles = [{"name": str(name), "url": url, "options": options} for name, url, options in config.get("TILES") or []]
    return {
        "form": form,
        "duplicates": outcome.duplicates if outcome else [],
        "photos_lost": bool(outcome and outcome.photos_lost),
        "max_photos": MAX_PHOTOS,
        "map_config": {
            "center": list(config.get("DEFAULT_CENTER", (27.83, 113.13))),
            "zoom": config.get("DEFAULT_ZOOM", 12),
            "minZoom": config.get("MIN_ZOOM", 3),
            "maxZoom": config.get("MAX_ZOOM", 18),
            "tiles": tiles,
        },
    }


# ---------------------------------------------------------------------------------------------------------------
# /cases/intake/: hotline operators (the office role)


@login_required
@require_http_methods(["GET", "POST"])
def staff_intake(request):
    """A call, letter or walk-in typed in by the office; the caller is read the tracking code from the receipt."""
    if not request.user.is_office:
        raise PermissionDenied(_g("只有创文办工作人员可以登记来电来信"))
    outcome = None
    if request.method == "POST":
        form = IntakeForm(request.POST, request.FILES)
        # The operator is recorded as the one who entered it (等保 audit trail), the caller's name and number as
        # the reporter's.
        outcome = take_report(request, form, channel="", key_prefix="intake", actor=request.user)
        if outcome.case is not None:
            return redirect("portal:receipt", code=outcome.case.tracking_code)
    else:
        form = IntakeForm()
    return render(request, "cases/intake/form.html", form_context(form, outcome))
