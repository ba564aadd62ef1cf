"""Per-mode verdicts over the compared inputs, at a tolerance the reader chooses. No torch."""
from __future__ import annotations

from dataclasses import dataclass

from tsviz.model.types import DiffResult, Outcome

DEFAULT_ATOL = 1e-5
DEFAULT_RTOL = 1e-4


@dataclass(frozen=True)
class Verdict:
    mode: str
    matches: bool
    differs_on: tuple[int, ...]  # case indices where the outputs differ or the module raised
    errors_on: tuple[int, ...]  # the subset where the module raised
    compared: int  # cases that had an eager output to compare with
    conversion_error: str = ""  # the mode could not convert the model at all

    def sentence(self) -> str:
        if self.conversion_error:
            return f"{self.mode} could not convert the model: {self.conversion_error}"
        if self.compared == 0:
            return f"{self.mode}: nothing to compare (the eager model failed on every input)"
        if self.matches:
            return f"{self.mode} matches eager on all {self.compared} inputs"
        where = _numbers(self.differs_on)
        text = f"{self.mode} differs from eager on input{'s' if len(self.differs_on) > 1 else ''} {where}"
        if self.errors_on:
            text += f" (raised an error on {_numbers(self.errors_on)})"
        return text + f", of {self.compared}"


def verdict(result: DiffResult, mode: str, atol: float = DEFAULT_ATOL, rtol: float = DEFAULT_RTOL) -> Verdict:
    """How `mode` did against eager over every compared input."""
    conversion = result.conversion(mode)
    if conversion is not None and conversion.error is not None:
        return Verdict(mode, False, (), (), 0, conversion.error.message)
    compared = [c for c in result.cases if not c.eager_error and c.outcome(mode) is not None]
    differs = tuple(c.index for c in compared if not c.outcome(mode).matches(atol, rtol))
    errors = tuple(c.index for c in compared if c.outcome(mode).error)
    return Verdict(mode, not differs and bool(compared), differs, errors, len(compared))


def _numbers(indices: tuple[int, ...]) -> str:
    text = [str(i) for i in indices]
    return text[0] if len(text) == 1 else ", ".join(text[:-1]) + " and " + text[-1]


def outcome_text(outcome: Outcome | None, atol: float, rtol: float) -> str:
    """One table cell: ✔ or ✘, then the largest differences, the mismatch or the error."""
    if outcome is None:
        return ""
    if outcome.error:
        return f"✘ raised {outcome.error}"
    if outcome.mismatch:
        return f"✘ {outcome.mismatch}"
    mark = "✔" if outcome.matches(atol, rtol) else "✘"
    return f"{mark} abs {outcome.max_abs:.3g} · rel {outcome.max_rel:.3g}"


def case_rows(result: DiffResult, atol: float, rtol: float) -> list[dict[str, str | int]]:
    """The outputs table: one row per input, one column per converted mode."""
    modes = [c.mode for c in result.conversions if c.error is None]
    rows: list[dict[str, str | int]] = []
    for case in result.cases:
        row: dict[str, str | int] = {"#": case.index, "input": case.label, "shapes": ", ".join(case.shapes)}
        for mode in modes:
            row[mode] = outcome_text(case.outcome(mode), atol, rtol) or f"eager raised {case.eager_error}"
        rows.append(row)
    return rows
