"""Base for input schemas: unknown fields are refused (400), and so is the NUL character, which PostgreSQL text
cannot store; everything else (SQL, script) is kept exactly as typed and only ever output encoded."""

from __future__ import annotations

from ninja import Schema
from pydantic import ConfigDict, model_validator


class Strict(Schema):
    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data):
        items = data.items() if isinstance(data, dict) else ()
        for _key, value in items:
            if isinstance(value, str) and "\x00" in value:
                raise ValueError("NUL")
        return data
