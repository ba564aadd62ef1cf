"""Models that keep state between calls (a streaming model's context, a recurrent cell's hidden state kept on
the module, a call counter): a scripted module that writes an attribute in forward (prim::SetAttr), or any
module whose second call on the same inputs gives another answer than its first. Where outputs are compared
(the Migrate ladder's checks, the Deploy runs), each side is called from the same fresh state, and a changed
output between two calls of one module is reported as state, never as a conversion mismatch. Runs inside the
worker.
"""
from __future__ import annotations

import copy
import inspect
from typing import Any

from tsviz.analysis.outputs import call_safely, compare_outputs
from tsviz.graph.verdict import DEFAULT_ATOL, DEFAULT_RTOL

RESETS = ("reset_states", "reset_state")  # what streaming models name the method that starts over (never
# reset_parameters, which draws new weights)


class Fresh:
    """A model whose every call through new() starts from one state: after its own reset_states() where it has
    one, else from a copy taken when this was made ("fresh state"). A scripted module that writes no attribute in
    forward, or one that cannot be copied, is called as it is."""

    def __init__(self, module: Any) -> None:
        self.module = module
        stateful = writes_state(module)
        self.reset = next((name for name in RESETS if stateful and _takes_nothing(module, name)), "")
        self.pristine = None
        if stateful and not self.reset:
            try:
                self.pristine = copy.deepcopy(module)
            except Exception:  # a module holding something that cannot be copied is called as it is
                self.pristine = None
        self.how = f"after {self.reset}()" if self.reset else "on fresh state" if self.pristine is not None else ""

    def new(self) -> Any:
        """The model in its starting state."""
        if self.reset:
            getattr(self.module, self.reset)()
            return self.module
        return copy.deepcopy(self.pristine) if self.pristine is not None else self.module

    def __call__(self, *values: Any) -> Any:
        return self.new()(*values)


def as_fresh(module: Any) -> Fresh:
    return module if isinstance(module, Fresh) else Fresh(module)


def writes_state(module: Any) -> bool:
    """Whether forward may write state: a scripted module's inlined graph has a prim::SetAttr; for anything else
    (an eager module, a program) only a second call can tell, so it may."""
    graph = getattr(module, "inlined_graph", None)
    if graph is None:
        return True
    return any(node.kind() == "prim::SetAttr" for node in graph.nodes()) or "prim::SetAttr" in str(graph)


def drift(fresh: Fresh, values: tuple) -> str:
    """"" when two calls of the model on the same inputs agree; else the sentence that says it keeps state, by how
    much its second call differs from its first, and how the comparisons start each call."""
    if not fresh.how and not writes_state(fresh.module):
        return ""
    model = fresh.new()  # a copy, never the module itself: a program exported from it may share its buffers
    first, error = call_safely(model, values)
    second, again = call_safely(model, values)
    if error or again:
        return ""
    outcome = compare_outputs(first, second)
    if outcome.matches(DEFAULT_ATOL, DEFAULT_RTOL):
        return ""
    by = f"{outcome.max_abs:.2g}" if outcome.max_abs is not None else (outcome.mismatch or outcome.error or "?")
    how = fresh.how or "as it is (it could not be copied, and has no reset_states())"
    return f"the module keeps state between calls: call 2 differs from call 1 by {by}; compared {how}"


def _takes_nothing(module: Any, name: str) -> bool:
    method = getattr(module, name, None)
    if method is None or not callable(method):
        return False
    schema = getattr(method, "schema", None)
    if schema is not None:
        return all(a.name == "self" or a.has_default_value() for a in schema.arguments)
    try:
        return all(p.default is not inspect.Parameter.empty or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
                   for p in inspect.signature(method).parameters.values())
    except (TypeError, ValueError):
        return False

