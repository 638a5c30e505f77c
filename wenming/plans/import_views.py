"""Plan import from the browser (office staff do not use the shell): upload → preview (a dry run showing what
was found, the differences against the plan already loaded, and any text that could not be classified) →
confirm. The same importer as `wenming import-plan`; nothing is stored until the office confirms."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .importers import PlanImportError, import_plan_file

MAX_BYTES = 10 * 1024 * 1024
ALLOWED = {".txt", ".docx"}
TOKEN_RE = re.compile(r"^[0-9a-f]{64}\.(txt|docx)$")


class PlanUploadForm(forms.Form):
    document = forms.FileField(label=gettext_lazy("方案文档"), help_text=gettext_lazy("纯文本（.txt）或 Word（.docx），不超过 10 MB"))
    is_default = forms.BooleanField(label=gettext_lazy("设为默认方案"), required=False)

    def clean_document(self):
        f = self.cleaned_data["document"]
        suffix = Path(f.name).suffix.lower()
        if suffix not in ALLOWED:
            raise forms.ValidationError(_("只支持 .txt 或 .docx 文档"))
        if f.size > MAX_BYTES:
            raise forms.ValidationError(_("文档超过 10 MB"))
        head = f.read(4)
        f.seek(0)
        if suffix == ".docx" and head != b"PK\x03\x04":
            raise forms.ValidationError(_("该文件不是有效的 Word（.docx）文档"))
        return f


def _staging_dir() -> Path:
    path = Path(settings.DATA_DIR) / "plan-imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _stage(upload) -> str:
    """Keep the uploaded bytes under their digest until the office confirms (or stages another file)."""
    data = upload.read()
    token = f"{hashlib.sha256(data).hexdigest()}{Path(upload.name).suffix.lower()}"
    (_staging_dir() / token).write_bytes(data)
    return token


def _require_office(request):
    if not request.user.is_office:
        raise PermissionDenied(_("只有创文办可以导入实施方案。"))


@login_required
def plan_import(request):
    _require_office(request)
    if request.method == "POST" and request.POST.get("step") == "apply":
        return _apply(request)
    form = PlanUploadForm(request.POST or None, request.FILES or None)
    context = {"form": form}
    if request.method == "POST" and form.is_valid():
        token = _stage(form.cleaned_data["document"])
        original = form.cleaned_data["document"].name
        try:
            outcome = import_plan_file(_named(token, original), dry_run=True)
        except PlanImportError as exc:
            context["error"] = exc
        else:
            context.update(outcome=outcome, token=token, original=original,
                           is_default=form.cleaned_data["is_default"])
    return render(request, "plans/import.html", context)


def _named(token: str, original: str) -> Path:
    """The staged bytes under the uploader's file name, so the import record says which document it was."""
    safe = re.sub(r"[^\w\u4e00-\u9fff.（）()-]", "_", Path(original).name)[:120] or token
    if Path(safe).suffix.lower() != Path(token).suffix:
        safe += Path(token).suffix
    folder = _staging_dir() / token.split(".")[0][:16]
    folder.mkdir(exist_ok=True)
    target = folder / safe
    target.write_bytes((_staging_dir() / token).read_bytes())
    return target


def _apply(request):
    token = request.POST.get("token", "")
    original = request.POST.get("original", "") or token
    if not TOKEN_RE.match(token) or not (_staging_dir() / token).exists():
        messages.error(request, _("预览已失效，请重新上传文档。"))
        return redirect("plans:import")
    try:
        outcome = import_plan_file(_named(token, original), is_default=request.POST.get("is_default") == "1",
                                   by=request.user)
    except PlanImportError as exc:
        return render(request, "plans/import.html", {"form": PlanUploadForm(), "error": exc})
    if outcome.created:
        messages.success(request, _("已导入实施方案：%(title)s") % {"title": outcome.plan.title})
    elif outcome.changed:
        messages.success(request, _("已按修订稿更新实施方案：%(title)s（%(n)d 处变化）")
                         % {"title": outcome.plan.title, "n": len(outcome.diff)})
    else:
        messages.info(request, _("文档与已导入的方案相同，未作改动。"))
    return redirect("plans:detail", pk=outcome.plan.pk)
