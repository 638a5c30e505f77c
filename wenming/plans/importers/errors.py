"""The one error the importer raises: a readable Chinese message for the person who gave us the file."""

from __future__ import annotations


class PlanImportError(Exception):
    """A document that cannot be imported. The message is user-facing (already translated)."""

    def __init__(self, message: str, *, details: list[str] | None = None):
        super().__init__(message)
        self.message = message
        self.details = details or []

    def __str__(self) -> str:
        if not self.details:
            return self.message
        return "\n".join([self.message, *(f"  - {d}" for d in self.details)])
