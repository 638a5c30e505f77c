"""Snapshot → what the product page's template iterates over (cells formatted once, as in Word and Excel)."""

from __future__ import annotations

from .figures import cell_text


def headline(snapshot: dict) -> list[tuple[str, str]]:
    return [(label, cell_text(value)) for label, value in snapshot.get("headline", [])]


def blocks(snapshot: dict) -> list[dict]:
    out, photo_index = [], 0
    for block in snapshot.get("blocks", []):
        kind = block.get("type")
        if kind == "table":
            out.append({**block, "cells": [[cell_text(v) for v in row] for row in block["rows"]]})
        elif kind == "photos":
            items = []
            for item in block.get("items", []):
                items.append({**item, "index": photo_index})
                photo_index += 1
            out.append({**block, "items": items})
        else:
            out.append(block)
    return out
