"""Turning a file into plain text: .txt (UTF-8 or GB18030, as Chinese offices save them) and .docx."""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from pathlib import Path

from django.utils.translation import gettext as _

from .errors import PlanImportError

MAX_BYTES = 20 * 1024 * 1024
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # legacy .doc / .xls


def read_document(path) -> str:
    """The text of a plan document; raises PlanImportError with a Chinese message when it cannot be read."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise PlanImportError(_("找不到文件：%(path)s") % {"path": path}) from None
    except OSError as exc:
        raise PlanImportError(_("无法读取文件 %(path)s：%(error)s") % {"path": path, "error": exc}) from None
    return decode_document(data, name=path.name)


def decode_document(data: bytes, *, name: str = "") -> str:
    if not data.strip():
        raise PlanImportError(_("文件为空：%(name)s") % {"name": name or _("（未命名）")})
    if len(data) > MAX_BYTES:
        raise PlanImportError(_("文件过大（超过 20 MB），请确认上传的是实施方案文档"))
    suffix = Path(name).suffix.lower()
    if suffix == ".doc" or data.startswith(OLE_MAGIC):
        raise PlanImportError(_("不支持旧版 Word（.doc）文件，请另存为 .docx 或纯文本后再导入"))
    if suffix == ".docx" or data.startswith(ZIP_MAGIC):
        return normalise(docx_text(data))
    return normalise(plain_text(data))


def plain_text(data: bytes) -> str:
    if b"\x00" in data[:4096]:
        # UTF-16 text saved by Notepad carries a BOM; anything else with NULs is binary.
        if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
            return data.decode("utf-16")
        raise PlanImportError(_("文件不是文本文档（含二进制内容），请导入 .txt 或 .docx 格式的实施方案"))
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if looks_like_text(text):
            return text
    raise PlanImportError(_("无法识别文件编码或文件不是文本，请另存为 UTF-8 或 GB18030 编码的 .txt 文件"))


def looks_like_text(text: str) -> bool:
    """GB18030 decodes almost any byte soup; real Chinese text is mostly Han, ASCII and punctuation."""
    if not text:
        return False
    sample = text[:20000]
    good = 0
    for ch in sample:
        if ch in "\r\n\t " or ch.isascii() and ch.isprintable():
            good += 1
        elif "\u4e00" <= ch <= "\u9fff" or unicodedata.category(ch)[0] in "PNZS":
            good += 1
        elif unicodedata.category(ch) in ("Lo", "Ll", "Lu") and ch <= "\uffef":
            good += 0.5
    return good / len(sample) > 0.95


def docx_text(data: bytes) -> str:
    """Paragraphs and table rows of a .docx, in document order."""
    try:
        import docx
        from docx.opc.exceptions import PackageNotFoundError
    except ImportError:  # pragma: no cover - python-docx is a dependency
        raise PlanImportError(_("未安装 python-docx，无法读取 Word 文档")) from None
    try:
        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, PackageNotFoundError, KeyError, ValueError):
        raise PlanImportError(_("不是有效的 Word 文档（.docx）：文件已损坏或并非 Word 格式")) from None
    lines: list[str] = []
    body = document.element.body
    for child in body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            lines.append("".join(node.text or "" for node in child.iter() if node.tag.endswith("}t")))
        elif tag == "tbl":
            for row in child.iter():
                if not row.tag.endswith("}tr"):
                    continue
                cells = []
                for cell in row.iterchildren():
                    if cell.tag.endswith("}tc"):
                        cells.append("".join(n.text or "" for n in cell.iter() if n.tag.endswith("}t")).strip())
                lines.append("　".join(c for c in cells if c))
    return "\n".join(lines)


_SPACES = re.compile(r"[ \t\u3000\u00a0\u2002\u2003\u2009\ufeff]+")


def normalise(text: str) -> str:
    """Line endings and trailing blanks unified; full-width spaces become ordinary ones. Content is untouched."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return "\n".join(_SPACES.sub(" ", line).strip() for line in text.split("\n"))
