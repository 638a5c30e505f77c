"""JSON and XML bodies for GeoReport v2, and its error array.

Spec "Encoding": UTF-8 everywhere; XML starts with a declaration naming UTF-8. Chinese is written as characters in
both formats (ensure_ascii=False), so it survives any client that decodes UTF-8. Characters that XML 1.0 cannot
carry (control characters stored from some other channel) are dropped from XML output rather than producing a
document no parser accepts.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

from django.http import HttpResponse

FORMATS = ("json", "xml")
CONTENT_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return _XML_ILLEGAL.sub("", str(value))


def _fill(element: ET.Element, data: dict, list_items: dict[str, str]) -> None:
    for key, value in data.items():
        child = ET.SubElement(element, key)
        if isinstance(value, list):
            item_tag = list_items.get(key, "item")
            for item in value:
                node = ET.SubElement(child, item_tag)
                if isinstance(item, dict):
                    _fill(node, item, list_items)
                else:
                    node.text = _text(item)
        elif isinstance(value, dict):
            _fill(child, value, list_items)
        else:
            child.text = _text(value)


def xml_bytes(root_tag: str, item_tag: str | None, payload, list_items: dict[str, str] | None = None) -> bytes:
    """`payload` is a list of dicts (each an <item_tag>) or one dict (the root's children)."""
    root = ET.Element(root_tag)
    list_items = list_items or {}
    if isinstance(payload, list):
        for item in payload:
            _fill(ET.SubElement(root, item_tag), item, list_items)
    else:
        _fill(root, payload, list_items)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode").encode("utf-8")


def respond(fmt: str, payload, *, root: str, item: str | None, status: int = 200, list_items=None) -> HttpResponse:
    if fmt == "xml":
        body = xml_bytes(root, item, payload, list_items)
    else:
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return HttpResponse(body, status=status, content_type=CONTENT_TYPES[fmt if fmt in FORMATS else "json"])


class Open311Error(Exception):
    """Spec "Errors": an array of {code, description}; 404 not found, 403 bad key, 400 otherwise."""

    def __init__(self, status: int, description: str, *more: str):
        super().__init__(description)
        self.status = status
        self.descriptions = [description, *more]


def error_response(fmt: str, status: int, descriptions: list[str]) -> HttpResponse:
    items = [{"code": status, "description": d} for d in descriptions]
    return respond(fmt if fmt in FORMATS else "json", items, root="errors", item="error", status=status)
