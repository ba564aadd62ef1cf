"""torch.jit.script's compile errors, explained in the user's terms with the concrete fix for their line.

Each rule reads torch's message and the user's line (its syntax tree) and says what TorchScript assumed and
what to write instead. torch's full message stays with the error as its detail. No torch import: this is text.
"""
from __future__ import annotations

import ast
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class Advice:
    cause: str  # a short key: "unannotated-argument", "optional-attribute", ...
    message: str  # what TorchScript could not do, in the user's terms
    fix: str  # what to write instead


@dataclass(frozen=True)
class Failure:
    """One compile error: torch's text, the user's source, the line it points at (0 if none)."""

    text: str
    source: str
    line: int

    @property
    def code(self) -> str:
        lines = self.source.splitlines()
        return lines[self.line - 1].strip() if 0 < self.line <= len(lines) else ""

    def nodes(self) -> list[ast.AST]:
        """The syntax nodes that start on the failing line."""
        tree = _tree(self.source)
        return [n for n in ast.walk(tree) if getattr(n, "lineno", 0) == self.line] if tree else []

    def function(self) -> ast.FunctionDef | None:
        """The def that holds the failing line."""
        tree = _tree(self.source)
        holders = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)
                   and n.lineno <= self.line <= (n.end_lineno or n.lineno)] if tree else []
        return holders[-1] if holders else None

    def class_name(self) -> str:
        """The class that holds the failing line, "" if none."""
        tree = _tree(self.source)
        holders = [n.name for n in ast.walk(tree) if isinstance(n, ast.ClassDef)
                   and n.lineno <= self.line <= (n.end_lineno or n.lineno)] if tree else []
        return holders[-1] if holders else ""

    def self_attributes(self) -> list[str]:
        return list(dict.fromkeys(n.attr for n in self.nodes() if isinstance(n, ast.Attribute)
                                  and isinstance(n.value, ast.Name) and n.value.id == "self"))


@lru_cache(maxsize=4)  # every rule reads the same file's tree
def _tree(source: str) -> ast.Module | None:
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError, RecursionError):
        return None


def advise(failure: Failure) -> Advice | None:
    """The first rule that explains this failure, or None (torch's own message is then shown as it is)."""
    for rule in _RULES:
        advice = rule(failure)
        if advice is not None:
            return advice
    return None


def line_of_library_call(source: str, libraries: tuple[str, ...] = ("np", "numpy", "scipy", "pd")) -> int:
    """The first line inside a forward() that calls into a non-torch library (for errors torch gives no line)."""
    tree = _tree(source)
    for function in (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)) if tree else ():
        for node in ast.walk(function):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in libraries:
                return node.lineno
    return 0


def _expected_type(text: str) -> str:
    match = re.search(r"Expected a value of type '(.+?)' for argument", text)
    if match:
        expected = match.group(1)
        optional = re.fullmatch(r"Optional\[(.+)\]", expected)
        return optional.group(1) if optional else expected
    if "inputs of range must be ints" in text:
        return "int"
    return ""


def _unannotated_argument(f: Failure) -> Advice | None:
    if "(inferred)" not in f.text:
        return None
    function = f.function()
    if function is None:
        return None
    args = function.args
    defaults = dict(zip([a.arg for a in args.args][len(args.args) - len(args.defaults):], args.defaults, strict=True))
    used = {n.id for n in f.nodes() if isinstance(n, ast.Name)}
    candidates = [a.arg for a in args.args if a.arg != "self" and a.annotation is None and a.arg in used]
    if not candidates:
        return None
    name = candidates[-1]
    expected = _expected_type(f.text)
    if not expected or "inferred" in expected:
        return None
    default = f" = {ast.unparse(defaults[name])}" if name in defaults else ""
    typing_names = [t for t in ("Tuple", "List", "Dict", "Optional") if t in expected]
    imports = f" (from typing import {', '.join(typing_names)})" if typing_names else ""
    return Advice(
        "unannotated-argument",
        f"`{name}` has no type annotation, so TorchScript takes it for a Tensor, but it is used "
        f"where {expected} is expected",
        f"annotate it in the def: `{name}: {expected}{default}`{imports}",
    )


def _unannotated_callee(f: Failure) -> Advice | None:
    match = re.search(r"Expected a value of type 'Tensor \(inferred\)' for argument '(\w+)' but instead found type "
                      r"'([^']+)'", f.text)
    if not match:
        return None
    name, passed = match.groups()
    callee = next((ast.unparse(n.func) for n in f.nodes() if isinstance(n, ast.Call)
                   and name in _parameter_names(n.func, f.source)), "the function it calls")
    return Advice(
        "unannotated-argument",
        f"`{name}`, an argument of {callee}(), has no type annotation, so TorchScript takes it for a Tensor, but "
        f"it is passed {_a(passed)}",
        f"annotate it in that def: `{name}: {passed}`",
    )


def _a(word: str) -> str:
    return f"{'an' if word[:1].lower() in 'aeiou' else 'a'} {word}"


def _parameter_names(func: ast.expr, source: str) -> set[str]:
    """Parameter names of the file's defs named like the called function (`self.make_mask` -> make_mask)."""
    called = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    tree = _tree(source)
    return {a.arg for n in (ast.walk(tree) if tree else ()) if isinstance(n, ast.FunctionDef) and n.name == called
            for a in n.args.args}


def _none_attribute(f: Failure) -> Advice | None:
    if "Could not cast value of type NoneType to bool" in f.text:
        attrs = f.self_attributes() or ["<attribute>"]
        return Advice("none-truth", f"it tests self.{attrs[0]}, which is None in this instance, for truth",
                      f"write `if self.{attrs[0]} is not None:` (TorchScript decides None tests when it compiles)")
    if not re.search(r"'NoneType' object has no attribute|Expected NoneType but got|Python type: 'NoneType'", f.text):
        return None
    attrs = f.self_attributes() or ["<attribute>"]
    name = attrs[0]
    kind = "Tensor" if "Tensor" in f.text or "size" in f.code else "<its type>"
    return Advice(
        "optional-attribute",
        f"self.{name} is None when the model is built, so TorchScript gives it the type None for good, and then "
        f"it is used as a {kind}",
        f"declare it in the class body as `{name}: Optional[{kind}]` (from typing import Optional), and in "
        f"forward() copy it to a local before testing it: `{name} = self.{name}`, then "
        f"`if {name} is None or ...`: TorchScript refines a local, not an attribute",
    )


def _int_for_float(f: Failure) -> Advice | None:
    match = re.search(r"Expected a value of type '(?:Optional\[)?float\]?' for argument '(\w+)' but instead found "
                      r"type 'int'", f.text)
    if not match:
        return None
    argument = match.group(1)
    passed = [k.value for call in f.nodes() if isinstance(call, ast.Call) for k in call.keywords if k.arg == argument]
    attrs = [n.attr for n in passed if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name)
             and n.value.id == "self"] or ([] if passed else f.self_attributes())
    value = f"self.{attrs[0]}" if attrs else (ast.unparse(passed[0]) if passed else "the value")
    return Advice(
        "int-for-float",
        f"it passes an int as `{argument}`, which TorchScript only accepts as a float (Python would "
        "convert it silently; TorchScript checks types when it compiles)",
        f"write `{argument}=float({value})`" + (f", or store it as a float in `__init__`: `self.{attrs[0]} = "
                                               f"float(...)`" if attrs else ""),
    )


def _unsupported_attribute_type(f: Failure) -> Advice | None:
    match = re.search(r"Module '(\w+)' has no attribute '(\w+)' \(This attribute exists on the Python module, but "
                      r"we failed to convert Python type: '([\w.]+)'", f.text)
    if not match:
        return None
    _, attr, python_type = match.groups()
    short = python_type.rsplit(".", 1)[-1]
    return Advice(
        "unsupported-attribute",
        f"self.{attr} holds a {short} object, and TorchScript can only keep tensors, numbers, strings, lists, "
        "tuples, dicts and modules on a module",
        f"in `__init__`, copy the values forward() reads into plain attributes (`self.block_size = "
        f"{attr}.block_size`) and use those in forward()",
    )


def _generator(f: Failure) -> Advice | None:
    generators = [n for n in f.nodes() if isinstance(n, ast.GeneratorExp)]
    if not generators:
        return None
    return Advice(
        "generator",
        f"it uses a generator expression ({ast.unparse(generators[0])[:60]}), which TorchScript "
        "does not have",
        "use a list comprehension inside torch.stack(...), or a plain for loop that adds up the results",
    )


def _library_call(f: Failure) -> Advice | None:
    if not re.search(r"numpy|weak reference|python value of type 'module'|attribute or method 'numpy'", f.text):
        return None
    return Advice(
        "library-call",
        "it calls NumPy (or another non-torch library), and TorchScript compiles only torch code",
        "use the torch op (torch.sqrt, torch.exp, ...), or compute the constant once in `__init__`",
    )


def _unsupported_builtin(f: Failure) -> Advice | None:
    match = re.search(r"Python builtin <built-in function (\w+)> is currently not supported", f.text)
    if match:
        return Advice("unsupported-builtin",
                      f"it calls {match.group(1)}(), a Python builtin TorchScript does not have",
                      "compute it with torch ops or a plain loop over ints (e.g. a running product for math.prod)")
    if "super()" in f.code and "attribute or method 'forward'" in f.text:
        return Advice("super", "it calls super().forward(), which TorchScript cannot compile",
                      "call the parent's op directly (F.linear(x, self.weight, self.bias)) or hold the parent "
                      "module as an attribute")
    return None


# torch's words -> the advice, for failures whose message alone says the cause
_BY_MESSAGE: tuple[tuple[tuple[str, ...], Advice], ...] = (
    (("Lambda aren't supported", "Expected a single top-level function"),
     Advice("lambda", "it uses a lambda, which TorchScript cannot compile",
            "write it as a def (a method of the module or a function of the file), or use the matching module "
            "(nn.SiLU(), nn.GELU(), ...)")),
    (("variable number of arguments",),
     Advice("varargs", "it takes *args or **kwargs, which TorchScript cannot compile",
            "name the arguments forward() really uses, or trace this module (hybrid mode does it for you)")),
    (("keyword-arg expansion is not supported",),
     Advice("kwargs-call", "it passes arguments as **dict, which TorchScript cannot compile",
            "pass each keyword argument by name")),
    (("getattr's second argument must be a string literal",),
     Advice("dynamic-getattr", "it looks an attribute up by a computed name",
            "keep the layers in an nn.ModuleList (or nn.ModuleDict) and iterate over it")),
    (("try blocks aren't supported",),
     Advice("try", "it has a try block, which TorchScript cannot compile",
            "check the condition with an if instead, or mark the method @torch.jit.ignore")),
)


def _by_message(f: Failure) -> Advice | None:
    return next((advice for words, advice in _BY_MESSAGE if any(w in f.text for w in words)), None)


_RULES: tuple[Callable[[Failure], Advice | None], ...] = (
    _unannotated_argument, _unannotated_callee, _none_attribute, _int_for_float, _unsupported_attribute_type,
    _by_message, _generator, _library_call, _unsupported_builtin,
)
