"""The inputs a model file passes to its own model (test(), main(), its __main__ block, a docstring example), read
from the syntax tree, or recorded from one call stopped at the model's forward where the sizes are computed."""
from __future__ import annotations

import argparse
import ast
import builtins
import contextlib
import copy
import dataclasses
import io
import re
import signal
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from types import ModuleType, SimpleNamespace
from typing import Any

import torch
from torch import nn

from tsviz.load.guess import TORCH_DTYPES
from tsviz.load.importer import LoadedSource, _called_name, _functions_that_train
from tsviz.model.inputs import format_input_spec
from tsviz.model.types import Entry, InputSpec, Param

RECORD_SECONDS = 10.0  # a file's test() that runs longer than this before it calls the model is not waited for
_PREFERRED = re.compile(r"^_*(test|main|demo|example|sanity|smoke|try|check|run|debug)", re.IGNORECASE)
_SAME_MODEL = {"to", "eval", "train", "cuda", "cpu", "double", "float", "half", "bfloat16", "requires_grad_",
               "share_memory", "to_empty", "apply"}  # methods that hand back the model they are called on
_EXPORTERS = {"torch.jit.trace", "jit.trace", "torch.onnx.export", "onnx.export", "torch.export.export"}
_SAFE_MODULES = {"torch", "numpy", "math", "random"}
_SAFE_BUILTINS = {"len", "int", "float", "bool", "range", "tuple", "list", "min", "max", "sum", "abs", "round",
                  "dict", "str", "pow", "divmod", "sorted", "reversed", "zip", "enumerate"}
_CONFIG_CLASS = re.compile(r"(config|conf|cfg|args|options|opts|params|settings|hparams)$", re.IGNORECASE)
_TRAINING_CALLS = {"backward", "step", "zero_grad", "fit"}
_MODEL, _UNKNOWN = "<model>", "<unknown>"


@dataclass(frozen=True)
class FileInputs:
    """Inputs that the file's own code passes to the entry, and where."""

    specs: tuple[InputSpec, ...]
    where: str  # "test()", "the __main__ block", "the docstring of GPT"
    line: int  # the line of the call
    recorded: bool = False  # read from one recorded call (the sizes are computed when the file runs)

    def note(self, file: str) -> str:
        how = ", recorded from one call stopped at forward()" if self.recorded else ""
        return (f"Inputs from {self.where} at line {self.line} of {file}{how}: "
                f"{'; '.join(format_input_spec(s) for s in self.specs)}. Change them in the sidebar or with --input.")


@dataclass
class Scope:
    """Code of the file that may call the model: a function, the __main__ block, a docstring's examples, or the
    top-level statements."""

    where: str
    kind: str  # "function", "main", "docstring" or "top"
    body: list[ast.stmt]
    function: ast.FunctionDef | None = None


def scopes(tree: ast.Module) -> list[Scope]:
    """Where a file calls its own model, most telling first: test()/main()-like functions, the __main__ block,
    other functions, docstring examples, then top-level code."""
    functions = [n for n in tree.body if isinstance(n, ast.FunctionDef)]
    preferred = [f for f in functions if _PREFERRED.match(f.name)]
    found = [Scope(f"{f.name}()", "function", f.body, f) for f in preferred]
    found += [Scope("the __main__ block", "main", n.body) for n in tree.body if _is_main_guard(n)]
    found += [Scope(f"{f.name}()", "function", f.body, f) for f in functions if f not in preferred]
    found += _docstring_scopes(tree)
    top = [n for n in tree.body if not isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef,
                                                       ast.Import, ast.ImportFrom)) and not _is_main_guard(n)]
    if top:
        found.append(Scope("the top-level code", "top", top))
    return found


def _is_main_guard(node: ast.stmt) -> bool:
    return isinstance(node, ast.If) and "__name__" in (test := ast.unparse(node.test)) and "__main__" in test


def _docstring_scopes(tree: ast.Module) -> list[Scope]:
    """`>>> ` examples in the docstrings of the module, its classes and functions, parsed with their own lines."""
    found = []
    for node in [tree, *(n for n in ast.walk(tree) if isinstance(n, (ast.ClassDef, ast.FunctionDef)))]:
        first = node.body[0] if node.body else None
        if not (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str) and ">>>" in first.value.value):
            continue
        lines, code = first.value.value.splitlines(), False
        for i, line in enumerate(lines):
            text = line.lstrip()
            if text.startswith(">>>") or (code and text.startswith("...")):
                lines[i], code = text[4:] if text[3:4] == " " else text[3:], True
            else:
                lines[i], code = "", False
        try:
            body = ast.parse("\n".join(lines)).body
        except (SyntaxError, ValueError):
            continue
        for statement in body:
            ast.increment_lineno(statement, first.value.lineno - 1)
        where = ("the module docstring" if isinstance(node, ast.Module) else
                 f"the docstring of {node.name}" + ("()" if isinstance(node, ast.FunctionDef) else ""))
        found.append(Scope(where, "docstring", body))
    return found


# ---- the static reading -------------------------------------------------------------------------------------

@dataclass
class Found:
    """A call of the model in a scope: its arguments with the scope's names filled in (_UNKNOWN where a value is
    only known when the file runs)."""

    line: int
    args: list[Any]
    keywords: dict[str, Any]


class _Unknown(Exception):
    """A name whose value is only known when the code runs."""


class Reader:
    """Reads a scope in the order it runs, keeping what each local name holds: the model (built by one of
    `builders`), an expression of the file's globals, or unknown; stops at the first call of the model."""

    def __init__(self, builders: set[str], callees: set[str], names: dict[str, Any], model_type: type | None,
                 file_globals: dict[str, Any] | None = None):
        self.builders, self.callees, self.names, self.model_type = builders, callees, names, model_type
        self.file_globals = names if file_globals is None else file_globals
        self.env: dict[str, Any] = {}

    def read(self, scope: Scope) -> Found | None:
        self.env = {}
        if scope.function is not None:
            self._bind_parameters(scope.function.args)
        return self._block(scope.body)

    def _bind_parameters(self, args: ast.arguments) -> None:
        positional = [*args.posonlyargs, *args.args]
        defaults = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
        for arg, default in [*zip(positional, defaults), *zip(args.kwonlyargs, args.kw_defaults)]:
            self.env[arg.arg] = self._value(default) if default is not None else _UNKNOWN
        for arg in (args.vararg, args.kwarg):
            if arg is not None:
                self.env[arg.arg] = _UNKNOWN

    def _block(self, body: list[ast.stmt]) -> Found | None:
        for statement in body:
            found = self._statement(statement)
            if found is not None:
                return found
        return None

    def _statement(self, node: ast.stmt) -> Found | None:
        if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            found = self._calls_in(node.value) if node.value is not None else None
            if found is None and node.value is not None:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    self._bind(target, node.value if not isinstance(node, ast.AugAssign) else None)
            return found
        if isinstance(node, (ast.If, ast.While)):
            return self._calls_in(node.test) or self._block(node.body) or self._block(node.orelse)
        if isinstance(node, (ast.For, ast.AsyncFor)):
            found = self._calls_in(node.iter)
            if found is None:
                first = node.iter.elts[0] if isinstance(node.iter, (ast.List, ast.Tuple)) and node.iter.elts else None
                self._bind(node.target, first)
            return found or self._block(node.body) or self._block(node.orelse)
        if isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                if found := self._calls_in(item.context_expr):
                    return found
                if item.optional_vars is not None:
                    self._bind(item.optional_vars, None)
            return self._block(node.body)
        if isinstance(node, ast.Try):
            return (self._block(node.body) or next(filter(None, (self._block(h.body) for h in node.handlers)), None)
                    or self._block(node.orelse) or self._block(node.finalbody))
        if isinstance(node, ast.FunctionDef):  # a closure (an optimizer's closure, a helper): read in place
            saved = dict(self.env)
            self._bind_parameters(node.args)
            found = self._block(node.body)
            self.env = saved
            self.env[node.name] = _UNKNOWN
            return found
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                local = alias.asname or alias.name.split(".")[0]
                if local not in self.names:
                    self.env[local] = _UNKNOWN
            return None
        if isinstance(node, ast.ClassDef):
            self.env[node.name] = _UNKNOWN
            return None
        return self._calls_in(node)

    def _bind(self, target: ast.expr, value: ast.expr | None) -> None:
        if isinstance(target, ast.Name):
            self.env[target.id] = _UNKNOWN if value is None else _MODEL if self.is_model(value) else self._value(value)
        elif isinstance(target, (ast.Tuple, ast.List)):
            values = value.elts if isinstance(value, (ast.Tuple, ast.List)) and len(value.elts) == len(
                target.elts) else [None] * len(target.elts)
            for sub, sub_value in zip(target.elts, values):
                self._bind(sub.value if isinstance(sub, ast.Starred) else sub, sub_value)

    def _value(self, node: ast.expr) -> Any:
        try:
            return self.inline(node)
        except _Unknown:
            return _UNKNOWN

    def is_model(self, node: ast.expr) -> bool:
        """True for an expression that is the model: a name holding it, a builder's call, `.to(device)` on it."""
        if isinstance(node, ast.Name):
            if node.id in self.env:
                return self.env[node.id] == _MODEL
            value = self.file_globals.get(node.id)  # a global of the file holding a model (`model = Net()`)
            return self.model_type is not None and isinstance(value, self.model_type)
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name):
                return func.id in self.builders and func.id not in self.env
            return isinstance(func, ast.Attribute) and func.attr in _SAME_MODEL and self.is_model(func.value)
        return False

    def _calls_in(self, node: ast.AST) -> Found | None:
        calls = sorted((n for n in ast.walk(node) if isinstance(n, ast.Call)),
                       key=lambda n: (n.lineno, n.col_offset))
        for call in calls:
            arguments = self._model_call(call)
            if arguments is not None:
                args, keywords = arguments
                return Found(call.lineno, [self._value(a) for a in args],
                             {k: self._value(v) for k, v in keywords.items()})
        return None

    def _model_call(self, call: ast.Call) -> tuple[list[ast.expr], dict[str, ast.expr]] | None:
        func = call.func
        keywords = {k.arg: k.value for k in call.keywords if k.arg is not None}
        if any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords):
            return None
        if isinstance(func, ast.Name) and func.id in self.callees and func.id not in self.env:
            return list(call.args), keywords
        if self.is_model(func) or (isinstance(func, ast.Attribute) and func.attr == "forward"
                                   and self.is_model(func.value)):
            return list(call.args), keywords
        if ast.unparse(func) in _EXPORTERS and call.args and self.is_model(call.args[0]):
            example = call.args[1] if len(call.args) > 1 else keywords.get("example_inputs", keywords.get("args"))
            if isinstance(example, ast.Name) and isinstance(self.env.get(example.id), ast.Tuple):
                example = self.env[example.id]
            if isinstance(example, (ast.Tuple, ast.List)):
                return list(example.elts), {}
            return ([example], {}) if example is not None else None
        return None

    def inline(self, node: ast.expr) -> ast.expr:
        """`node` with the scope's local names replaced by what they hold (the model by `model`), calls that move
        tensors to a device dropped, and `parser.parse_args()` given no arguments; raises _Unknown."""
        return _Inliner(self).visit(copy.deepcopy(node))


class _Inliner(ast.NodeTransformer):
    def __init__(self, reader: Reader):
        self.reader = reader

    def visit_Name(self, node: ast.Name) -> ast.expr:
        env = self.reader.env
        if node.id in env:
            held = env[node.id]
            if held == _UNKNOWN:
                raise _Unknown(node.id)
            return ast.Name("model", ast.Load()) if held == _MODEL else copy.deepcopy(held)
        if node.id in self.reader.names or hasattr(builtins, node.id):
            return node
        raise _Unknown(node.id)

    def visit_Call(self, node: ast.Call) -> ast.expr:
        if self.reader.is_model(node):
            return ast.Name("model", ast.Load())
        self.generic_visit(node)
        node.keywords = [k for k in node.keywords if k.arg not in ("device", "non_blocking", "pin_memory")]
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in ("cuda", "cpu") and not node.keywords:
            return func.value
        if isinstance(func, ast.Attribute) and func.attr == "to":
            node.args = [a for a in node.args if _is_dtype_or_tensor(a, self.reader.names)]
            if not node.args and not node.keywords:
                return func.value
        if (isinstance(func, ast.Attribute) and func.attr in ("parse_args", "parse_known_args") and not node.args
                and isinstance(func.value, ast.Name)
                and isinstance(self.reader.names.get(func.value.id), argparse.ArgumentParser)):
            node.args = [ast.List([], ast.Load())]
        return node


def _is_dtype_or_tensor(node: ast.expr, names: dict[str, Any]) -> bool:
    if not safe(node, names):
        return False
    try:
        value = _eval(node, names)
    except Exception:
        return False
    return isinstance(value, (torch.dtype, torch.Tensor))


# ---- values to InputSpecs -----------------------------------------------------------------------------------

def safe(node: ast.expr, names: dict[str, Any]) -> bool:
    """True when every call in `node` only makes values: torch, NumPy and math functions, methods of tensors and
    numbers, config classes, the model's own methods (`model.init_hidden(4)`), harmless builtins."""
    for call in (n for n in ast.walk(node) if isinstance(n, ast.Call)):
        func = call.func
        if isinstance(func, ast.Name):
            value = names.get(func.id)
            if func.id in _SAFE_BUILTINS and value is None:
                continue
            if (isinstance(value, type) and not issubclass(value, nn.Module)
                    and (dataclasses.is_dataclass(value) or value is SimpleNamespace
                         or _CONFIG_CLASS.search(value.__name__))):
                continue
            if callable(value) and (getattr(value, "__module__", "") or "").split(".")[0] == "torch":
                continue
            return False
        root = func
        while isinstance(root, ast.Attribute):
            root = root.value
        if not isinstance(root, ast.Name):
            continue  # a method of a value made here (`torch.randn(2, 4).double()`): its own call is checked
        value = names.get(root.id)
        if root.id == "model" or isinstance(value, (torch.Tensor, int, float, str, tuple, list,
                                                    argparse.Namespace, SimpleNamespace)):
            continue
        if isinstance(value, ModuleType) and value.__name__.split(".")[0] in _SAFE_MODULES:
            continue
        if isinstance(value, argparse.ArgumentParser) and isinstance(func, ast.Attribute) and func.attr in (
                "parse_args", "parse_known_args"):
            continue
        if type(value).__module__ == "numpy" or dataclasses.is_dataclass(value):
            continue
        return False
    return True


def _eval(node: ast.expr, names: dict[str, Any]) -> Any:
    expression = ast.fix_missing_locations(ast.Expression(node))
    with torch.no_grad():
        return eval(compile(expression, "<the file's input>", "eval"), names)  # noqa: S307 (in the worker only)


class _Folder(ast.NodeTransformer):
    """Sub-expressions that name the file's values (`cfg.vocab_size`, `args.batch_size`) replaced by the numbers
    they hold, so an input reads `torch.randint(0, 512, (2, 16))`."""

    def __init__(self, names: dict[str, Any]):
        self.names = names

    def visit(self, node: ast.AST) -> ast.AST:
        if isinstance(node, ast.expr) and not isinstance(node, ast.Constant) and _names_values(node):
            try:
                literal = _literal(_eval(copy.deepcopy(node), self.names))
            except Exception:
                literal = None
            if literal is not None:
                return literal
        return super().visit(node)


def _names_values(node: ast.expr) -> bool:
    """True when `node` names something other than torch's modules and dtypes (a value worth folding)."""
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name) and sub.id not in ("torch", "model"):
            return True
    return False


def _literal(value: Any, depth: int = 0) -> ast.expr | None:
    if isinstance(value, torch.dtype):
        return ast.Attribute(ast.Name("torch", ast.Load()), str(value).removeprefix("torch."), ast.Load())
    if value is None or isinstance(value, (bool, int, float, str)):
        return ast.Constant(value) if not isinstance(value, str) or len(value) < 40 else None
    if isinstance(value, (tuple, list, torch.Size)) and len(value) <= 16 and depth < 2:
        items = [_literal(v, depth + 1) for v in value]
        if any(item is None for item in items):
            return None
        return (ast.List if isinstance(value, list) else ast.Tuple)(items, ast.Load())
    return None


def _clean(node: ast.expr) -> bool:
    """An expression a person would write in the input field: only torch, literals and the model's methods."""
    return (all(not isinstance(n, ast.Name) or n.id in ("torch", "model") for n in ast.walk(node))
            and len(ast.unparse(node)) <= 120)


def spec_of(value: Any, node: ast.expr | None = None) -> InputSpec | None:
    """The InputSpec that makes an input like `value` (the file's `node` for it, folded, when it reads well):
    a float tensor as its shape and dtype, other values as an expression."""
    if isinstance(value, torch.Tensor) and value.is_floating_point() and _dtype_name(value.dtype):
        return InputSpec(tuple(value.shape), _dtype_name(value.dtype))
    if node is not None and _clean(node):
        return InputSpec((), expr=ast.unparse(node))
    expr = value_expression(value)
    return InputSpec((), expr=expr) if expr else None


def _dtype_name(dtype: torch.dtype) -> str:
    return next((name for name, d in TORCH_DTYPES.items() if d == dtype), "")


def value_expression(value: Any, depth: int = 0) -> str:
    """An expression that makes a value like `value`: random floats, integers in its range, its constants."""
    if isinstance(value, torch.Tensor):
        return _tensor_expression(value)
    if value is None or isinstance(value, (bool, int, float)) or (isinstance(value, str) and len(value) < 40):
        return repr(value)
    if isinstance(value, (tuple, list)) and len(value) <= 16 and depth < 3:
        items = [value_expression(v, depth + 1) for v in value]
        if not all(items):
            return ""
        inner = ", ".join(items) + ("," if len(items) == 1 and isinstance(value, tuple) else "")
        return f"({inner})" if isinstance(value, tuple) else f"[{inner}]"
    if isinstance(value, dict) and len(value) <= 16 and depth < 3 and all(isinstance(k, str) for k in value):
        items = {k: value_expression(v, depth + 1) for k, v in value.items()}
        return "{" + ", ".join(f"{k!r}: {v}" for k, v in items.items()) + "}" if all(items.values()) else ""
    return ""


def _tensor_expression(t: torch.Tensor) -> str:
    shape = "(" + ", ".join(str(d) for d in t.shape) + ("," if t.dim() == 1 else "") + ")"
    name = str(t.dtype).removeprefix("torch.")
    if t.is_floating_point():
        return f"torch.randn({shape}" + ("" if t.dtype == torch.float32 else f", dtype=torch.{name}") + ")"
    if t.dtype == torch.bool:
        if t.numel() and bool(t.all()):
            return f"torch.ones({shape}, dtype=torch.bool)"
        return f"torch.zeros({shape}, dtype=torch.bool)" if not t.any() else f"(torch.rand({shape}) > 0.5)"
    if t.is_complex():
        return ""
    dtype = "" if t.dtype == torch.int64 else f", dtype=torch.{name}"
    if t.numel() == 0 or not t.any():
        return f"torch.zeros({shape}, dtype=torch.{name})"
    low, high = int(t.min()), int(t.max())
    return f"torch.randint({min(low, 0)}, {high + 1}, {shape}{dtype})"


def specs_of(found: Found, params: tuple[Param, ...], names: dict[str, Any]) -> tuple[InputSpec, ...] | None:
    """The call's arguments as positional InputSpecs of forward(), evaluated in the worker; None when one of them
    is only known when the file runs (or needs code tsviz does not run to make it)."""
    nodes = _positional(found.args, found.keywords, params)
    if nodes is None:
        return None
    specs = []
    for node in nodes:
        if node == _UNKNOWN or not safe(node, names):
            return None
        folded = ast.fix_missing_locations(_Folder(names).visit(copy.deepcopy(node)))
        try:
            value = _eval(folded, names)
        except Exception:
            return None
        spec = spec_of(value, folded)
        if spec is None:
            return None
        specs.append(spec)
    return tuple(specs)


def _positional(args: list[Any], keywords: dict[str, Any], params: tuple[Param, ...]) -> list[Any] | None:
    """Positional arguments, then the keywords that continue them in forward()'s order; None when a required
    parameter is left without a value."""
    positional = [p for p in params if not p.name.startswith("*")]
    values = list(args)
    for param in positional[len(values):]:
        if param.name not in keywords:
            break
        values.append(keywords[param.name])
    required = sum(1 for p in positional if p.default is None)
    if len(values) < required or (len(values) > len(positional) and not any(p.name.startswith("*") for p in params)):
        return None
    return values


# ---- recording one call -------------------------------------------------------------------------------------

class _Recorded(BaseException):
    """The model was called: its arguments, and the line of the file that called it."""

    def __init__(self, args: tuple, kwargs: dict, line: int):
        super().__init__()
        self.args_, self.kwargs, self.line = args, kwargs, line


class _TooLong(BaseException):
    pass


def trains(statements: list[ast.stmt], trainers: set[str]) -> bool:
    """True when the statements train or loop over data: a backward pass or an optimizer step (themselves or
    through a function of the file), or a loop over anything but a literal or range()."""
    for node in (n for s in statements for n in ast.walk(s)):
        if isinstance(node, ast.Call) and (_called_name(node) in _TRAINING_CALLS or (
                isinstance(node.func, ast.Name) and node.func.id in trainers)):
            return True
        if isinstance(node, ast.While) or (isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)) and not (
                isinstance(node.iter, (ast.List, ast.Tuple)) or (isinstance(node.iter, ast.Call)
                                                                 and _called_name(node.iter) == "range"))):
            return True
    return False


def record(source: LoadedSource, scope: Scope, model_type: type, line: int) -> _Recorded | None:
    """Run the scope with the model's forward() replaced by a recorder that keeps the arguments of the first call
    and stops the code there (prints swallowed, within RECORD_SECONDS); None when it does not get there."""
    # a block runs only as far as the call; a function runs whole if the call is skipped, so all of it counts
    body = scope.body if scope.kind == "function" else [s for s in scope.body if s.lineno <= line]
    functions = {n.name: n for n in source.tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    if scope.kind == "top" or trains(body, _functions_that_train(functions)):
        return None
    if scope.kind == "function":
        fn = getattr(source.module, scope.function.name, None)
        arguments = scope.function.args
        if (getattr(getattr(fn, "__code__", None), "co_filename", None) != source.path
                or len(arguments.defaults) < len(arguments.posonlyargs) + len(arguments.args)
                or None in arguments.kw_defaults):
            return None
        run = fn
    else:
        code = compile(ast.Module(body=body, type_ignores=[]), source.path, "exec")
        run = lambda: exec(code, {**vars(source.module), "__name__": "__main__"})  # noqa: S102 (the file's code)
    path = source.path

    def recorder(self: nn.Module, *args: Any, **kwargs: Any) -> Any:
        frame = sys._getframe(1)
        while frame is not None and frame.f_code.co_filename != path:
            frame = frame.f_back
        raise _Recorded(args, kwargs, frame.f_lineno if frame is not None else 0)

    had = "forward" in model_type.__dict__
    original = model_type.__dict__.get("forward")
    model_type.forward = recorder
    try:
        with _quiet(), _time_limit(RECORD_SECONDS), torch.no_grad():
            run()
    except _Recorded as called:
        return called
    except (Exception, SystemExit, _TooLong):
        return None
    finally:
        if had:
            model_type.forward = original
        else:
            del model_type.forward
    return None


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    argv, sys.argv = sys.argv, [sys.argv[0] if sys.argv else "model.py"]
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            yield
    finally:
        sys.argv = argv


@contextlib.contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    """Stop the code after `seconds` (on the main thread, where signals arrive; elsewhere no limit)."""
    if threading.current_thread() is not threading.main_thread() or signal.getsignal(signal.SIGALRM) not in (
            signal.SIG_DFL, None):
        yield
        return

    def stop(signum: int, frame: Any) -> None:
        raise _TooLong()

    signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, signal.SIG_DFL)


# ---- the entry's calls --------------------------------------------------------------------------------------

def builders(tree: ast.Module, entry: Entry, target: Any, module: ModuleType) -> set[str]:
    """Names whose call builds the entry's model: the entry itself, its class, and the file's functions that
    return what one of those builds (`def ResNet18(): return ResNet(BasicBlock, [2, 2, 2, 2])`)."""
    found = set()
    if entry.kind in ("factory", "class"):
        found.add(entry.name.removesuffix("()"))
    model_type = type(target) if isinstance(target, nn.Module) else None
    if model_type is not None and getattr(module, model_type.__name__, None) is model_type:
        found.add(model_type.__name__)
    if not found:
        return found
    functions = [n for n in tree.body if isinstance(n, ast.FunctionDef)]
    while grown := {f.name for f in functions if f.name not in found and _returns_built(f, found)}:
        found |= grown
    return found


def _returns_built(function: ast.FunctionDef, names: set[str]) -> bool:
    def built(node: ast.expr | None) -> bool:
        while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _SAME_MODEL:
            node = node.func.value
        return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in names

    assigned = {t.id for n in ast.walk(function) if isinstance(n, ast.Assign) and built(n.value)
                for t in n.targets if isinstance(t, ast.Name)}
    return any(isinstance(n, ast.Return) and (built(n.value) or (isinstance(n.value, ast.Name)
                                                                  and n.value.id in assigned))
               for n in ast.walk(function))


def read_file_inputs(source: LoadedSource, entry: Entry, target: Any, params: tuple[Param, ...],
                     names: dict[str, Any], record_calls: bool = True) -> FileInputs | None:
    """The inputs of the first call of the entry in the file's own code that can be read (statically, else by
    recording that one call when `record_calls`), or None."""
    model_type = type(target) if isinstance(target, nn.Module) else None
    made = builders(source.tree, entry, target, source.module)
    callees = {entry.name} if entry.kind == "function" else set()
    if not made and not callees:
        return None
    reader = Reader(made, callees, names, model_type, vars(source.module))
    for scope in scopes(source.tree):
        found = reader.read(scope)
        if found is None:
            continue
        specs = specs_of(found, params, names)
        if specs is not None:
            return FileInputs(specs, scope.where, found.line)
        if record_calls and model_type is not None and model_type.__module__ == source.module.__name__:
            recorded = _recorded_inputs(source, scope, model_type, found.line, params)
            if recorded is not None:
                return recorded
    return None


def _recorded_inputs(source: LoadedSource, scope: Scope, model_type: type, line: int,
                     params: tuple[Param, ...]) -> FileInputs | None:
    called = record(source, scope, model_type, line)
    if called is None:
        return None
    values = _positional(list(called.args_), called.kwargs, params)
    specs = [spec_of(v) for v in values] if values is not None else [None]
    if any(s is None for s in specs):
        return None
    return FileInputs(tuple(specs), scope.where, called.line or line, recorded=True)


_CACHE: list[tuple[Any, ...]] = []


def file_inputs(source: LoadedSource, entry: Entry, target: Any, params: tuple[Param, ...],
                names: dict[str, Any], record_calls: bool = True) -> FileInputs | None:
    """read_file_inputs(), once per file, entry and target (a job asks for them again to say where they came
    from; a recorded call runs the file's code once)."""
    for tree, name, model, recorded, result in _CACHE:
        if tree is source.tree and name == entry.name and model is target and recorded == record_calls:
            return result
    result = read_file_inputs(source, entry, target, params, names, record_calls)
    _CACHE[:] = [*_CACHE[-3:], (source.tree, entry.name, target, record_calls, result)]
    return result
