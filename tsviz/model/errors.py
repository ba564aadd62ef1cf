"""TsvizError and its subclasses: messages written for a person, naming file, line and fix."""
from __future__ import annotations

from tsviz.model.types import ErrorInfo


class TsvizError(Exception):
    """A problem the user can fix. `detail` holds tool output (TorchScript's own message)."""

    def __init__(self, message: str, *, file: str = "", line: int = 0, hint: str = "", detail: str = ""):
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line
        self.hint = hint
        self.detail = detail

    def one_line(self) -> str:
        """The message as one line: where, what, and what to do."""
        where = (
            f"{self.file} line {self.line}: " if self.file and self.line else (f"{self.file}: " if self.file else "")
        )
        text = f"{where}{self.message}"
        if self.hint:
            text += f" ({self.hint})"
        return " ".join(text.split())

    def info(self) -> ErrorInfo:
        return ErrorInfo(type(self).__name__, self.message, self.file, self.line, self.hint, self.detail)

    @staticmethod
    def from_info(info: ErrorInfo) -> TsvizError:
        cls = _BY_NAME.get(info.type, TsvizError)
        return cls(info.message, file=info.file, line=info.line, hint=info.hint, detail=info.detail)


class SourceError(TsvizError):
    """The .py file cannot be read or imported (syntax error, import error, exception at import)."""


class EntryError(TsvizError):
    """The chosen entry point does not exist or cannot be built."""


class InputError(TsvizError):
    """Inputs are missing or malformed (trace needs example inputs)."""


class ScriptError(TsvizError):
    """torch.jit.script rejected the code."""


class TraceError(TsvizError):
    """torch.jit.trace failed while running the model."""


class ArchiveError(TsvizError):
    """The .pt file is not a TorchScript archive, or cannot be loaded."""


class WorkerError(TsvizError):
    """The worker process timed out, ran out of memory or crashed."""


_BY_NAME: dict[str, type[TsvizError]] = {
    cls.__name__: cls
    for cls in (TsvizError, SourceError, EntryError, InputError, ScriptError, TraceError, ArchiveError, WorkerError)
}
