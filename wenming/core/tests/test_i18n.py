"""The English locale (wenming/locale/en): every msgid is translated, nothing is fuzzy, the committed .mo is the
compiled .po, and pages switch between Simplified Chinese and English.

After adding strings: from wenming/, run
``../.venv/bin/python -m django makemessages -l en --ignore "*/tests/*" --ignore "*/migrations/*" --no-obsolete``,
translate the new entries, then ``../.venv/bin/python -m django compilemessages -l en`` and commit both files."""

from __future__ import annotations

import ast
import gettext
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

LC_MESSAGES = Path(settings.LOCALE_PATHS[0]) / "en" / "LC_MESSAGES"
PO = LC_MESSAGES / "django.po"
MO = LC_MESSAGES / "django.mo"
HAN = re.compile(r"[\u3400-\u9fff]")
# %(name)s, %(n)d, %(v).2f, %%, %s, %d — what Python's %-formatting reads in a python-format string.
PYTHON_FORMAT = re.compile(r"%(?:\([^)]+\))?[-+ #0]*\d*(?:\.\d+)?[sdifr%]")


@dataclass
class Entry:
    line: int
    msgctxt: str | None = None
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)

    def label(self) -> str:
        ctx = f"[{self.msgctxt}] " if self.msgctxt is not None else ""
        return f"django.po:{self.line}: {ctx}{self.msgid!r}"


def parse_po(path: Path) -> list[Entry]:
    """A small reader for the gettext PO format as makemessages writes it (obsolete ``#~`` entries skipped)."""
    entries: list[Entry] = []
    entry: Entry | None = None
    target: tuple[str, int] | None = None  # which field continuation strings append to
    pending_flags: set[str] = set()

    def start(lineno: int) -> Entry:
        nonlocal entry, pending_flags
        entry = Entry(line=lineno, flags=pending_flags)
        pending_flags = set()
        entries.append(entry)
        return entry

    for lineno, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#~"):
            if not line:
                entry, target = None, None
            continue
        if line.startswith("#,"):
            pending_flags |= {f.strip() for f in line[2:].split(",") if f.strip()}
            continue
        if line.startswith("#"):
            continue
        keyword, _, rest = line.partition(" ")
        if line.startswith('"'):
            assert entry is not None and target is not None, f"django.po:{lineno}: string outside an entry"
            value = ast.literal_eval(line)
        else:
            value = ast.literal_eval(rest.strip())
        if line.startswith('"'):
            name, index = target
        elif keyword == "msgctxt":
            current = start(lineno)
            current.msgctxt = ""
            name, index = "msgctxt", 0
        elif keyword == "msgid":
            if entry is None or entry.msgid or entry.msgid_plural is not None or entry.msgstr:
                start(lineno)
            name, index = "msgid", 0
        elif keyword == "msgid_plural":
            name, index = "msgid_plural", 0
            entry.msgid_plural = ""
        elif keyword == "msgstr":
            name, index = "msgstr", 0
            entry.msgstr.setdefault(0, "")
        elif m := re.fullmatch(r"msgstr\[(\d+)\]", keyword):
            name, index = "msgstr", int(m.group(1))
            entry.msgstr.setdefault(index, "")
        else:
            raise AssertionError(f"django.po:{lineno}: cannot read {raw!r}")
        target = (name, index)
        if name == "msgstr":
            entry.msgstr[index] += value
        else:
            setattr(entry, name, (getattr(entry, name) or "") + value)
    return entries


@pytest.fixture(scope="module")
def po_entries() -> list[Entry]:
    assert PO.exists(), f"{PO} is missing: run makemessages -l en"
    return parse_po(PO)


def test_po_reader_reads_context_plurals_and_continuations(tmp_path):
    sample = tmp_path / "sample.po"
    sample.write_text(
        'msgid ""\nmsgstr ""\n"Language: en\\n"\n\n'
        '#: a.py:1\n#, python-format\nmsgctxt "角色"\nmsgid ""\n"长的"\n"文本 %(n)s"\nmsgstr "Long %(n)s"\n\n'
        'msgid "一条"\nmsgid_plural "多条"\nmsgstr[0] "one"\nmsgstr[1] ""\n"many"\n\n'
        '#~ msgid "旧"\n#~ msgstr "old"\n',
        encoding="utf-8",
    )
    header, ctx, plural = parse_po(sample)
    assert header.msgid == "" and header.msgstr == {0: "Language: en\n"}
    assert (ctx.msgctxt, ctx.msgid, ctx.msgstr, ctx.flags) == ("角色", "长的文本 %(n)s", {0: "Long %(n)s"}, {"python-format"})
    assert (plural.msgid_plural, plural.msgstr) == ("多条", {0: "one", 1: "many"})


def test_every_entry_is_translated_and_none_is_fuzzy(po_entries):
    header = [e for e in po_entries if e.msgid == "" and e.msgctxt is None]
    assert len(header) == 1 and "Language: en" in header[0].msgstr[0]
    messages = [e for e in po_entries if e not in header]
    assert len(messages) > 1000  # the whole product, not a stub
    fuzzy = [e.label() for e in po_entries if "fuzzy" in e.flags]
    assert not fuzzy, "fuzzy entries (check the translation, then remove the fuzzy flag):\n" + "\n".join(fuzzy)
    untranslated = []
    for e in messages:
        wanted = [0, 1] if e.msgid_plural is not None else [0]
        if sorted(e.msgstr) != wanted or not all(e.msgstr[i].strip() for i in wanted):
            untranslated.append(e.label())
    assert not untranslated, "untranslated entries:\n" + "\n".join(untranslated)


def test_translations_keep_placeholders_and_are_english(po_entries):
    problems = []
    for e in po_entries:
        if not e.msgid:
            continue
        sources = [e.msgid] if e.msgid_plural is None else [e.msgid, e.msgid_plural]
        if "python-format" in e.flags:
            wanted = sorted(p for p in PYTHON_FORMAT.findall(e.msgid_plural or e.msgid) if p != "%%")
            for i, text in e.msgstr.items():
                got = sorted(p for p in PYTHON_FORMAT.findall(text) if p != "%%")
                if got != wanted:
                    problems.append(f"{e.label()} msgstr[{i}] has {got}, msgid has {wanted}")
        for i, text in e.msgstr.items():
            if sources[0].startswith("\n") != text.startswith("\n") or sources[0].endswith("\n") != text.endswith("\n"):
                problems.append(f"{e.label()} msgstr[{i}] does not start/end with a newline like the msgid")
            # Chinese may remain only where it quotes data the product reads (Excel headers, document numbering
            # styles, an example issuer code) or names the language itself.
            if not set(HAN.findall(text)) <= set(HAN.findall("".join(sources))):
                problems.append(f"{e.label()} msgstr[{i}] has Chinese the msgid does not have: {text!r}")
    assert not problems, "\n".join(problems)


# Names makemessages extracts: Django's xgettext keywords plus ``_g`` (``gettext as _g``), which
# wenming/core/management/commands/makemessages.py adds with --keyword=_g. A string passed to any other alias never
# reaches the .po and stays Chinese in English.
EXTRACTED_NAMES = {
    "_", "gettext", "gettext_lazy", "gettext_noop", "ngettext", "ngettext_lazy",
    "pgettext", "pgettext_lazy", "npgettext", "npgettext_lazy",
    "_g",
}


def test_translation_functions_use_names_makemessages_extracts():
    package = Path(settings.LOCALE_PATHS[0]).parent
    aliased = []
    for path in sorted(package.rglob("*.py")):
        if {"tests", "migrations"} & set(path.relative_to(package).parts):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "django.utils.translation":
                for name in node.names:
                    if name.asname and name.asname not in EXTRACTED_NAMES:
                        aliased.append(f"{path.relative_to(package)}: {name.name} as {name.asname}")
    assert not aliased, "translation functions under names makemessages skips:\n" + "\n".join(aliased)


def test_django_reads_the_english_catalog():
    with translation.override("en"):
        assert translation.gettext("登录") == "Log in"
        assert translation.pgettext("案件操作", "立案") == "Accept (file the case)"
        assert translation.pgettext("角色", "创文办") == "Campaign Office"
        assert translation.ngettext("已曝光 %(n)s 件问题", "已曝光 %(n)s 件问题", 1) % {"n": 1} == "1 issue exposed"
        assert translation.ngettext("已曝光 %(n)s 件问题", "已曝光 %(n)s 件问题", 3) % {"n": 3} == "3 issues exposed"
    with translation.override("zh-hans"):
        assert translation.gettext("登录") == "登录"


def _get(client, url: str, language: str | None):
    if language:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def _visible_han(html: str) -> set[str]:
    """Chinese left on a page once the city's name and the language switcher's own name are set aside."""
    text = re.sub(r"<script.*?</script>", "", html, flags=re.S)
    text = text.replace(settings.WENMING_CITY_NAME, "").replace("简体中文", "")
    return set(HAN.findall(text))


@pytest.mark.django_db
def test_login_page_in_english_and_in_chinese(client):
    url = reverse("accounts:login")
    html = _get(client, url, "en")
    assert '<html lang="en">' in html
    assert "<h1>Log in</h1>" in html and "Username" in html and "Password" in html
    assert "Civilized City Campaign Management Platform" in html
    assert not _visible_han(html), f"untranslated Chinese on the English login page: {_visible_han(html)}"

    html = _get(client, url, "zh-hans")
    assert '<html lang="zh-hans">' in html
    assert "<h1>登录</h1>" in html and "用户名" in html and "Log in" not in html


@pytest.mark.django_db
def test_default_language_is_chinese(client):
    html = _get(client, reverse("accounts:login"), None)
    assert "<h1>登录</h1>" in html and "Log in" not in html


@pytest.mark.django_db
def test_public_report_page_in_english_and_in_chinese(client):
    url = reverse("portal:report")
    html = _get(client, url, "en")
    assert "<h1>Report an issue</h1>" in html
    assert "Submit" in html and "Issue location" in html and "Contact details (optional" in html
    assert "我要反映问题" not in html and "提交" not in html

    html = _get(client, url, "zh-hans")
    assert "<h1>我要反映问题</h1>" in html and "问题位置" in html and "Report an issue" not in html


@pytest.mark.django_db
def test_language_switcher_sets_english(client):
    response = client.post(reverse("set_language"), {"language": "en", "next": reverse("portal:report")})
    assert response.status_code == 302 and response["Location"] == reverse("portal:report")
    html = client.get(reverse("portal:report")).content.decode()
    assert "<h1>Report an issue</h1>" in html


def _catalog(mo: Path) -> dict:
    with mo.open("rb") as fh:
        catalog = dict(gettext.GNUTranslations(fh)._catalog)
    catalog.pop("", None)  # the header carries dates that need not match
    return catalog


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="msgfmt (gettext) is not installed")
def test_committed_mo_is_the_compiled_po(tmp_path):
    assert MO.exists(), f"{MO} is missing: run compilemessages -l en"
    fresh = tmp_path / "django.mo"
    # The same command compilemessages runs.
    subprocess.run(["msgfmt", "--check-format", "-o", str(fresh), str(PO)], check=True, capture_output=True)
    committed, compiled = _catalog(MO), _catalog(fresh)
    stale = sorted(set(committed.items()) ^ set(compiled.items()), key=str)[:10]
    assert committed == compiled, f"django.mo is out of date; run compilemessages -l en. First differences: {stale}"
