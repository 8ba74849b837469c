"""Errors raised for invalid downstream data files and task records."""

from __future__ import annotations

from pathlib import Path


class DataFormatError(ValueError):
    """Invalid or missing data in a downstream task file.

    The message names the file, the 1-based line number where one applies, the bad value
    and what to do. The same facts are kept as attributes for callers and tests.
    """

    def __init__(
        self,
        problem: str,
        *,
        path: Path | str | None = None,
        line: int | None = None,
        fix: str | None = None,
    ) -> None:
        self.problem = problem
        self.path = Path(path) if path is not None else None
        self.line = line
        self.fix = fix
        super().__init__(self._format())

    def _format(self) -> str:
        location = ""
        if self.path is not None:
            location = f"{self.path}, line {self.line}: " if self.line is not None else f"{self.path}: "
        message = location + self.problem
        if self.fix:
            message += f". {self.fix}"
        return message


class TaskRecordError(ValueError):
    """Invalid task record, a YAML file under conf/tasks. The message names the file and the field."""


class UnknownTaskError(LookupError):
    """Request for a task name that has no record. The message lists the valid names."""
