"""Chart blocks of a snapshot → image bytes, through the one chart path (wenming.core.charts): SVG for pages,
PNG for Word. The same snapshot always gives the same chart."""

from __future__ import annotations

from wenming.core import charts


def cell_text(value) -> str:
    """How every renderer shows a table cell: "—" for a figure that cannot be computed, two decimals for rates."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def render(block: dict, fmt: str = "svg") -> bytes:
    kind, labels, title = block["chart"], block.get("labels", []), block.get("title", "")
    if kind == "bar":
        return charts.bar_chart(
            labels, [v or 0 for v in block.get("values", [])], title=title, color=block.get("color", "#b81c22"),
            fmt=fmt, horizontal=block.get("horizontal", False), value_label=block.get("value_label", ""),
        )
    if kind == "line":
        series = {name: [v or 0 for v in values] for name, values in block.get("series", {}).items()}
        return charts.line_chart(labels, series, colors=block.get("colors"), title=title,
                                 value_label=block.get("value_label", ""), fmt=fmt)
    if kind == "donut":
        return charts.donut(labels, block.get("values", []), colors=block.get("colors"), title=title,
                            center_text=block.get("center_text", ""), fmt=fmt)
    raise ValueError(f"unknown chart kind {kind!r}")


def chart_blocks(snapshot: dict) -> dict[str, dict]:
    return {b["id"]: b for b in snapshot.get("blocks", []) if b.get("type") == "chart"}


def photo_items(snapshot: dict) -> list[dict]:
    return [item for b in snapshot.get("blocks", []) if b.get("type") == "photos" for item in b.get("items", [])]
