"""Plan-document importer: text or .docx → Plan → Section → Measure → Responsibility → Target.

    parse_plan_text(text, source_name=..., format=...)  → ParsedPlan        (pure, no database)
    read_document(path)                                → str               (.txt UTF-8/GB18030, .docx)
    import_plan_file(path, dry_run=..., is_default=...) → ImportOutcome     (one transaction, diff, ImportRun)
    import_default_plan()                              → ImportOutcome     (the Zhuzhou 2018 seed, idempotent)
"""

from .errors import PlanImportError
from .parser import parse_plan_text
from .patterns import DEFAULT_FORMAT, FORMATS, PlanFormat, get_format, register_format
from .structure import ParsedMeasure, ParsedPlan, ParsedResponsibility, ParsedSection, ParsedTarget
from .text import read_document

__all__ = [
    "DEFAULT_FORMAT",
    "FORMATS",
    "ImportOutcome",
    "ParsedMeasure",
    "ParsedPlan",
    "ParsedResponsibility",
    "ParsedSection",
    "ParsedTarget",
    "PlanFormat",
    "PlanImportError",
    "get_format",
    "import_default_plan",
    "import_plan_file",
    "parse_plan_text",
    "read_document",
    "register_format",
]


def __getattr__(name):
    # The saving half needs the ORM; importing it lazily keeps parse_plan_text usable before apps are ready.
    if name in ("ImportOutcome", "import_plan_file", "import_default_plan", "DEFAULT_PLAN_PATH"):
        from . import saving

        return getattr(saving, name)
    raise AttributeError(name)
