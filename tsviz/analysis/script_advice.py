"""torch.jit.script's compile errors, explained in the user's terms with the concrete fix for their line.

Each rule reads torch's message and the user's line (its syntax tree) and says what TorchScript assumed and
what to write instead. torch's full message stays with the error as its detail. No torch import: this is text.
"""
from __future__ import annotations

import ast
import copy
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import lru_cache


@dataclass(frozen=True)
class Advice:
    cause: str  # a short key: "unannotated-argument", "optional-attribute", ...
    message: str  # what TorchScript could not do, in the user's terms
    fix: str  # what to write instead
    line: int = 0  # the line of the cause where it is not the line torch points at (a lambda made in __init__)


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

    def class_def(self) -> ast.ClassDef | None:
        """The class that holds the failing line."""
        tree = _tree(self.source)
        holders = [n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)
                   and n.lineno <= self.line <= (n.end_lineno or n.lineno)] if tree else []
        return holders[-1] if holders else None

    def at(self, line: int) -> Failure:
        """The same failure read at another line of the file (where torch's message says the cause is)."""
        return Failure(self.text, self.source, line)


@lru_cache(maxsize=4)  # every rule reads the same file's tree
def _tree(source: str) -> ast.Module | None:
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError, RecursionError):
        return None


def advise(failure: Failure) -> Advice | None:
    """The first rule that explains this failure, or None (torch's own message is then shown as it is); a failure
    inside a @property says so, since TorchScript compiles a module's properties whether forward() reads them
    or not."""
    for rule in _RULES:
        advice = rule(failure)
        if advice is not None:
            return _in_property(failure, advice)
    return None


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
    unpacked = _unpacked_into(f, name) if "cannot be used as a tuple" in f.text else 0
    expected = _expected_type(f.text) or (f"Tuple[{', '.join(['Tensor'] * unpacked)}]" if unpacked else "")
    if not expected or "inferred" in expected:
        return None
    default = f" = {ast.unparse(defaults[name])}" if name in defaults else ""
    typing_names = [t for t in ("Tuple", "List", "Dict", "Optional") if t in expected]
    imports = f" (from typing import {', '.join(typing_names)})" if typing_names else ""
    return Advice(
        "unannotated-argument",
        f"`{name}` has no type annotation, so TorchScript takes it for a Tensor, but " + (
            f"this line unpacks it into {unpacked} values" if unpacked else f"it is used where {expected} is expected"),
        f"annotate it in the def: `{name}: {expected}{default}`{imports}" + (
            ", writing int or float for a value that is a number, not a tensor" if unpacked else ""),
    )


def _unpacked_into(f: Failure, name: str) -> int:
    """How many names the failing line unpacks `name` into (`text, lengths, mels = inputs`: 3), else 0."""
    return next((len(n.targets[0].elts) for n in f.nodes() if isinstance(n, ast.Assign) and len(n.targets) == 1
                 and isinstance(n.targets[0], ast.Tuple) and isinstance(n.value, ast.Name) and n.value.id == name), 0)


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


_NOT_LIBRARIES = ("torch", "typing", "__future__", "math", "dataclasses", "collections", "functools", "itertools",
                  "os", "sys", "warnings", "copy", "enum", "abc")  # torch itself, and modules with no tensor code


def _imports(source: str) -> dict[str, str]:
    """Names the file binds to other libraries: `np` -> numpy, `rearrange` -> einops (from einops import ...)."""
    tree = _tree(source)
    names: dict[str, str] = {}
    for node in ast.walk(tree) if tree else ():
        if isinstance(node, ast.Import):
            names.update({(a.asname or a.name).split(".")[0]: a.name.split(".")[0] for a in node.names})
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.update({a.asname or a.name: node.module.split(".")[0] for a in node.names})
    return {k: v for k, v in names.items() if v not in _NOT_LIBRARIES}


def library_call(source: str, wanted: str = "") -> tuple[int, str, str]:
    """(line, call as written, library) of the first call from a method into a library the file imports,
    preferring a call of the function named `wanted`; (0, "", "") if none."""
    tree, names = _tree(source), _imports(source)
    calls = []
    for function in (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)) if tree else ():
        for node in ast.walk(function):
            if not isinstance(node, ast.Call):
                continue
            base = node.func
            while isinstance(base, ast.Attribute):
                base = base.value
            if isinstance(base, ast.Name) and base.id in names:
                calls.append((node.lineno, ast.unparse(node.func), names[base.id]))
    calls.sort()
    return next((c for c in calls if c[1].rsplit(".", 1)[-1] == wanted), calls[0] if calls else (0, "", ""))


_LIBRARY_FIXES = {
    "numpy": "use the torch op (torch.sqrt, torch.exp, ...), or compute the constant once in `__init__`",
    "einops": "use einops' layer form, made once in `__init__` (from einops.layers.torch import Rearrange; "
              "`self.split = Rearrange(\"b n (h d) -> b h n d\", h=heads)`, which scripts), or write it with "
              "view / transpose / flatten",
}


def _invalid_constant(f: Failure) -> Advice | None:
    """A layer's constant attribute of a type TorchScript does not keep: `'numpy.int64' object in attribute
    'Linear.out_features' is not a valid constant` (a size computed with NumPy, passed to the constructor)."""
    found = re.search(r"'([\w.]+)' object in attribute '([\w.]+)' is not a valid constant", f.text)
    if not found:
        return None
    kind, attribute = found.groups()
    plain = {"numpy.int64": "int", "numpy.int32": "int", "numpy.float64": "float", "numpy.float32": "float",
             "numpy.bool_": "bool"}.get(kind, "")
    as_plain = f"{plain}(...)" if plain else "a bool, int, float, str or a tuple of them"
    return Advice("invalid-constant", f"the attribute {attribute} holds a {kind}, and TorchScript keeps only plain "
                  "constants (bool, int, float, str, None, a device or dtype, a tuple or list of those)",
                  f"give the constructor a plain value ({as_plain}: `nn.Linear(64, int(n))` where n came from NumPy), "
                  f"or set it once after building (`layer.{attribute.rsplit('.', 1)[-1]} = {plain or 'int'}(...)`), "
                  "or trace the model, which keeps no attributes")


def _library_call(f: Failure) -> Advice | None:
    """A call into another library: numpy's ufuncs and tsviz's stand-ins ("cannot create weak reference"), or a
    library function torch tried to compile and could not (its own file in the message, no line of the user's)."""
    library_file = re.search(r'File "[^"]+", line \d+\s*\n\s*def (\w+)\(', f.text)
    if not (re.search(r"numpy|weak reference|python value of type 'module'|attribute or method 'numpy'", f.text)
            or (library_file and not f.line)):
        return None
    line, call, library = library_call(f.source, library_file.group(1) if library_file else "")
    if f.line and f.code and call and call not in f.code:
        line, call, library = f.line, "", ""  # torch named the line: keep it
    standin = " (not installed here, so tsviz stood in for it)" if "StandIn" in f.text else ""
    if library == "numpy" or (not call and "numpy" in f.text):
        return Advice("library-call", f"it calls NumPy{f' ({call})' if call else ''}, and TorchScript compiles "
                      "only torch code", _LIBRARY_FIXES["numpy"], line)
    what = f"{call}() from {library}{standin}" if call else "NumPy (or another non-torch library)"
    return Advice("library-call", f"it calls {what}, which TorchScript cannot compile: it compiles only torch code",
                  _einops_layer(f.at(line), call) or _LIBRARY_FIXES.get(
                      library, "write it with torch ops, or let hybrid mode trace the module that calls it"), line)


def _einops_layer(f: Failure, call: str) -> str:
    """For `rearrange(x, "b n (h d) -> b h n d", h=8)` in forward(): the einops layer that does the same and scripts."""
    layer = {"rearrange": "Rearrange", "reduce": "Reduce"}.get(call.rsplit(".", 1)[-1])
    node = next((n for n in f.nodes() if isinstance(n, ast.Call) and ast.unparse(n.func) == call), None)
    if layer is None or node is None or len(node.args) < 2:
        return ""
    made = ast.unparse(ast.Call(ast.Name(layer), node.args[1:], node.keywords))
    return (f"make the layer once in `__init__`: `self.{call.rsplit('.', 1)[-1]} = {made}` (from einops.layers.torch "
            f"import {layer}; einops' layers script), and call `self.{call.rsplit('.', 1)[-1]}"
            f"({ast.unparse(node.args[0])})` here")


def _unsupported_builtin(f: Failure) -> Advice | None:
    match = re.search(r"Python builtin <built-in function (\w+)> is currently not supported", f.text)
    if not match:
        return None
    name = match.group(1)
    called = next((ast.unparse(n.func) for n in f.nodes() if isinstance(n, ast.Call) and ast.unparse(n.func)
                   .rsplit(".", 1)[-1] == name), name)
    fixes = {
        "prod": "for a reshape, `x.flatten(1)` (or -1 for that size); for a number, a loop over ints: "
                "`n = 1` then `for d in x.shape[1:]: n *= d`",
        "next": "read the device or dtype from a tensor instead: `x.device`, `self.fc.weight.dtype`",
    }
    return Advice("unsupported-builtin", f"it calls {called}(), a Python builtin TorchScript does not have",
                  fixes.get(name, "compute it with torch ops or a plain loop over ints"))


_FUNCTIONAL = {  # torch layer -> its forward as a call TorchScript compiles, for a subclass's super().forward(x)
    "Linear": "F.linear({x}, self.weight, self.bias)",
    "Conv1d": "self._conv_forward({x}, self.weight, self.bias)",
    "Conv2d": "self._conv_forward({x}, self.weight, self.bias)",
    "Conv3d": "self._conv_forward({x}, self.weight, self.bias)",
    "LayerNorm": "F.layer_norm({x}, self.normalized_shape, self.weight, self.bias, self.eps)",
    "GroupNorm": "F.group_norm({x}, self.num_groups, self.weight, self.bias, self.eps)",
    "Embedding": "F.embedding({x}, self.weight, self.padding_idx)",
}


def _super_forward(f: Failure) -> Advice | None:
    if "super()" not in f.code or "attribute or method 'forward'" not in f.text:
        return None
    call = next((n for n in f.nodes() if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
                 and n.func.attr == "forward" and isinstance(n.func.value, ast.Call)
                 and ast.unparse(n.func.value) == "super()"), None)
    x = ", ".join(ast.unparse(a) for a in call.args) if call else "x"
    holder = f.class_def()
    base = ast.unparse(holder.bases[0]) if holder and holder.bases else "the parent"
    short = base.rsplit(".", 1)[-1]
    if short in _FUNCTIONAL:
        fix = f"call {base}'s op directly: `{_FUNCTIONAL[short].format(x=x)}` (import torch.nn.functional as F)"
    elif short in {n.name for n in ast.walk(_tree(f.source) or ast.Module(body=[])) if isinstance(n, ast.ClassDef)}:
        fix = (f"move {short}.forward's body into a method of {short} (`def _forward(self, x): ...`, with forward "
               f"returning `self._forward(x)`) and call `self._forward({x})` here: TorchScript compiles an "
               "inherited method, not super()")
    else:
        fix = f"call the op {base}.forward runs directly, or hold a {short} as a submodule and call it"
    return Advice("super", "it calls super().forward(), which TorchScript cannot compile (it has no super())",
                  fix)


def _if_expression(f: Failure) -> Advice | None:
    match = re.search(r"if-expression's true branch has type (\S+) but false branch has type (\S+):", f.text)
    if not match:
        return None
    kinds = match.groups()
    node = next((n for n in f.nodes() if isinstance(n, ast.IfExp)), None)
    message = f"its if-expression has a {kinds[0]} in one branch and {_a(kinds[1])} in the other, and TorchScript " \
              "gives a value one type"
    if node is None or not ({"int", "float"} == set(kinds) or "Tensor" in kinds and {"int", "float"} & set(kinds)):
        return Advice("if-expression", message, "make both branches the same type")
    target = "Tensor" if "Tensor" in kinds else "float"
    branches = [node.body, node.orelse]
    index = kinds.index("int" if target == "float" else next(k for k in kinds if k != "Tensor"))
    branches[index] = _as_type(branches[index], target)
    fixed = ast.unparse(ast.IfExp(test=node.test, body=branches[0], orelse=branches[1]))
    return Advice("if-expression", message, f"make both branches {_a(target)}: `{fixed}`")


def _as_type(node: ast.expr, target: str) -> ast.expr:
    """`0` -> `0.0`, `self.p` -> `float(self.p)`; for a Tensor, `torch.tensor(0.0)`."""
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        node = ast.Constant(float(node.value))
        return node if target == "float" else ast.Call(ast.Name("torch.tensor"), [node], [])
    return ast.Call(ast.Name("float" if target == "float" else "torch.tensor"), [node], [])


def _function_attribute(f: Failure) -> Advice | None:
    """A lambda, or a function defined inside another (a closure), kept on the module and called in forward()."""
    match = re.search(r"Module '(\w+)' has no attribute '(\w+)' \(This function exists as an attribute", f.text)
    if not match:
        return None
    holder, attr = match.groups()
    lambda_at = re.search(r"Expected a single top-level function: \S*?:(\d+)\)", f.text)
    if lambda_at:
        line = int(lambda_at.group(1))
        made = next((n for n in f.at(line).nodes() if isinstance(n, ast.Lambda)), None)
        defined_in = f.at(line).class_name()
        if made is not None and defined_in == holder:
            params = ", ".join(["self", *(a.arg for a in made.args.args)])
            local = _locals_read(made, f.at(line).function())
            body = ast.unparse(_on_self(made.body, local))
            keep = f"keep {', '.join(f'`self.{n} = {n}`' for n in local)} in `__init__`, " if local else ""
            fix = (f"{keep}replace the lambda with a method of {holder}: `def {attr}({params}): return {body}`, "
                   f"and drop the assignment on line {line}")
        else:
            fix = (f"hand {holder} a module instead of a function (the layer itself, or an nn.Sequential of it and "
                   "its activation): a submodule compiles; hybrid mode traces the module that owns the layer")
        where = f"made on line {line}" + (f" in {defined_in}" if defined_in and defined_in != holder else "")
        return Advice("lambda", f"self.{attr} holds a lambda ({where}), and TorchScript cannot compile a lambda",
                      fix, line)
    nested = f.function()
    closure = nested is not None and _outer_function(f.source, nested)
    if not closure:
        return None
    return Advice("closure", f"self.{attr} holds {nested.name}(), a function defined inside {closure}() (line "
                  f"{nested.lineno}) that reads names of {closure}() (a closure), and TorchScript cannot compile a "
                  "closure", f"make it a method of {holder}: `def {nested.name}(self, "
                  f"{', '.join(a.arg for a in nested.args.args)}): ...` reading self's layers, and drop the "
                  f"assignment `self.{attr} = {nested.name}`", nested.lineno)


def _locals_read(made: ast.Lambda, outer: ast.FunctionDef | None) -> list[str]:
    """Names a lambda reads from the function it was made in (other than self): `shared` in `lambda x: shared(x)`."""
    if outer is None:
        return []
    bound = {a.arg for a in outer.args.args if a.arg != "self"} | {
        t.id for n in ast.walk(outer) if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)}
    own = {a.arg for a in made.args.args}
    return list(dict.fromkeys(n.id for n in ast.walk(made.body) if isinstance(n, ast.Name) and n.id in bound - own))


def _on_self(node: ast.expr, names: list[str]) -> ast.expr:
    """`node` with each of `names` read from self (`shared(x)` -> `self.shared(x)`)."""
    class OnSelf(ast.NodeTransformer):
        def visit_Name(self, name: ast.Name) -> ast.expr:
            return ast.Attribute(ast.Name("self"), name.id) if name.id in names else name

    return OnSelf().visit(copy.deepcopy(node))


def _outer_function(source: str, inner: ast.FunctionDef) -> str:
    """The name of the def that holds `inner`, or ""."""
    tree = _tree(source)
    outer = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n is not inner
             and n.lineno < inner.lineno <= (n.end_lineno or n.lineno)] if tree else []
    return outer[-1].name if outer else ""


def _function_list(f: Failure) -> Advice | None:
    match = re.search(r"Module '\w+' has no attribute '(\w+)' \(This attribute exists on the Python module, but we "
                      r"failed to convert Python type: '(?:list|tuple)'.*value of type function", f.text, re.S)
    if not match:
        return None
    attr = match.group(1)
    return Advice("function-list", f"self.{attr} is a list of functions (lambdas), and TorchScript can keep "
                  "tensors, numbers, strings and modules on a module, not functions",
                  f"keep modules instead: `self.{attr} = nn.ModuleList([nn.ReLU(), nn.Tanh()])` (one module per "
                  "function), and call them the same way", _assignment_line(f.source, attr))


def _assignment_line(source: str, attr: str) -> int:
    tree = _tree(source)
    return next((n.lineno for n in ast.walk(tree) if isinstance(n, ast.Assign) for t in n.targets
                 if isinstance(t, ast.Attribute) and t.attr == attr), 0) if tree else 0


def _container_index(f: Failure) -> Advice | None:
    as_list = "ModuleList/Sequential indexing is only supported with integer literals" in f.text
    if not as_list and "ModuleDict indexing is only supported with string literals" not in f.text:
        return None
    subscript = next((n for n in f.nodes() if isinstance(n, ast.Subscript)
                      and not isinstance(n.slice, ast.Constant)), None)
    container, index = (ast.unparse(subscript.value), ast.unparse(subscript.slice)) if subscript else ("self.layers",
                                                                                                        "i")
    kind = "an nn.ModuleList" if as_list else "an nn.ModuleDict"
    message = (f"it indexes {container}, {kind}, with {index}, and TorchScript compiles a module container "
               "indexed only by a literal (it has to know which module at compile time)")
    if as_list:
        fix = (f"loop over the container: `for {index}, layer in enumerate({container}):` and call `layer(...)` in "
               f"place of `{container}[{index}](...)`")
    elif index.startswith("self."):
        fix = (f"pick the module once in `__init__` (`self.chosen = {container}[{index.removeprefix('self.')}]`) "
               "and call self.chosen in forward()")
    else:
        fix = (f"loop over its items and compare keys: `for key, module in {container}.items():` then "
               f"`if key == {index}: out = module(...)` (out set before the loop)")
    return Advice("container-index", message, fix)


def _varargs(f: Failure) -> Advice | None:
    if "variable number of arguments" not in f.text or not f.line:
        return None  # no line of the user's: a library's function (see _library_call)
    function = next((n for n in ast.walk(_tree(f.source) or ast.Module(body=[])) if isinstance(n, ast.FunctionDef)
                     and n.lineno <= f.line <= n.body[0].lineno), None)
    if function is None:
        return Advice("varargs", "it takes *args or **kwargs, which TorchScript cannot compile",
                      "name the arguments forward() really uses, or trace this module (hybrid mode does it for you)")
    args = function.args
    taken = [f"*{args.vararg.arg}"] if args.vararg else []
    taken += [f"**{args.kwarg.arg}"] if args.kwarg else []
    taken += [a.arg for a in args.kwonlyargs] if not taken else []
    kept = ast.arguments(posonlyargs=args.posonlyargs, args=[*args.args, *args.kwonlyargs], vararg=None, kwonlyargs=[],
                         kw_defaults=[], kwarg=None, defaults=[*args.defaults, *(d for d in args.kw_defaults if d)])
    signature = f"def {function.name}({ast.unparse(kept)})"
    read = sorted({n.slice.value for n in ast.walk(function) if args.vararg and isinstance(n, ast.Subscript)
                   and isinstance(n.value, ast.Name) and n.value.id == args.vararg.arg
                   and isinstance(n.slice, ast.Constant) and isinstance(n.slice.value, int)})
    named = ", ".join(["self", *(f"arg{i}" for i in range(max(read) + 1))]) if read else ""
    fix = (f"name what {function.name}() reads from *{args.vararg.arg} in the def: `def {function.name}({named})`, "
           f"with arg0 for {args.vararg.arg}[0] and so on" if named else f"write `{signature}`")
    return Advice("varargs", f"{function.name}() takes {' and '.join(taken)}, and TorchScript compiles only named "
                  "arguments" + (" (a keyword-only argument after * counts too)" if not (args.vararg or args.kwarg)
                                 else ""),
                  f"{fix}, or trace this module (hybrid mode does it for you)", function.lineno)


def _format_spec(f: Failure) -> Advice | None:
    if "Don't support formatting in JoinedStr" not in f.text:
        return None
    text = next((n for n in f.nodes() if isinstance(n, ast.JoinedStr)), None)
    if text is None:
        return Advice("format-spec", "it formats a value with a format spec in an f-string, which TorchScript "
                      "cannot compile", "drop the format spec (`{x}`, not `{x:.3f}`)")
    plain = ast.JoinedStr([ast.FormattedValue(v.value, v.conversion, None) if isinstance(v, ast.FormattedValue)
                           else v for v in text.values])
    spec = next(ast.unparse(v.format_spec)[2:-1] for v in text.values if isinstance(v, ast.FormattedValue)
                and v.format_spec is not None)
    return Advice("format-spec", f"its f-string formats a value with a format spec (:{spec}), which TorchScript "
                  "cannot compile", f"drop the format specs: `{ast.unparse(plain)}` (or build the text outside "
                  "forward())")


def _in_property(f: Failure, advice: Advice) -> Advice:
    """The advice for a line inside a @property, with what to do about the property itself."""
    function = f.at(advice.line or f.line).function()
    holder = f.at(advice.line or f.line).class_def()
    if function is None or holder is None or not any(ast.unparse(d) == "property" for d in function.decorator_list):
        return advice
    name = function.name
    layer = next((t.attr for n in ast.walk(holder) if isinstance(n, ast.Assign) and isinstance(n.value, ast.Call)
                  and ast.unparse(n.value.func).startswith("nn.") for t in n.targets if isinstance(t, ast.Attribute)),
                 "")
    if "next()" in advice.message and name in ("dtype", "device") and layer:
        advice = replace(advice, fix=f"read it from a layer's weight: `self.{layer}.weight.{name}`")
    used = any(isinstance(n, ast.Attribute) and n.attr == name and isinstance(n.value, ast.Name)
               and n.value.id == "self" for m in holder.body if isinstance(m, ast.FunctionDef) and m.name == "forward"
               for n in ast.walk(m))
    if used:
        fix = (f"forward() reads self.{name}: {advice.fix}; or compute the value in `__init__` and store it "
               f"(`self._{name} = ...`)")
    else:
        fix = (f"forward() does not read it: add `__jit_unused_properties__ = [\"{name}\"]` to the body of "
               f"{holder.name}, or {advice.fix}")
    return Advice(advice.cause, f"{advice.message}, inside the @property {name}, which TorchScript compiles with "
                  "the module whether forward() reads it or not", fix, advice.line)


# torch's words -> the advice, for failures whose message alone says the cause
_BY_MESSAGE: tuple[tuple[tuple[str, ...], Advice], ...] = (
    (("Lambda aren't supported", "Expected a single top-level function"),
     Advice("lambda", "it uses a lambda, which TorchScript cannot compile",
            "write it as a def (a method of the module or a function of the file), or use the matching module "
            "(nn.SiLU(), nn.GELU(), ...)")),
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


def _default_of_other_type(f: Failure) -> Advice | None:
    """`def forward(self, x, return_attention=False)`: an argument with no type is taken for a Tensor, and its
    default is not one."""
    match = re.search(r'Expected a default value of type (\w+) \(inferred\) on parameter "(\w+)"', f.text)
    tree = _tree(f.source)
    if not match or tree is None:
        return None
    name = match.group(2)
    for function in (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)):
        args = function.args.args
        defaults = dict(zip([a.arg for a in args][len(args) - len(function.args.defaults):], function.args.defaults,
                            strict=True))
        if name in defaults and (not f.line or function.lineno <= f.line <= (function.end_lineno or 0)):
            default = defaults[name]
            value = default.value if isinstance(default, ast.Constant) else None
            kind = {bool: "bool", int: "int", float: "float", str: "str"}.get(type(value), "")
            annotation = kind or ("Optional[torch.Tensor]" if value is None and isinstance(default, ast.Constant)
                                  else "its type")
            return Advice("default-type", f"`{name}` has no type annotation, so TorchScript takes it for a Tensor, "
                          f"but its default is {ast.unparse(default)}",
                          f"annotate it in the def: `{name}: {annotation} = {ast.unparse(default)}`",
                          function.lineno)
    return None


def _global_value(f: Failure) -> Advice | None:
    """`torch.arange(T, device=device)` with `device = 'cuda' if ... else 'cpu'` at the top of the file: TorchScript
    does not read a module's global variables."""
    match = re.search(r"python value of type '(\w+)' cannot be used as a (\w+)\.?", f.text)
    tree = _tree(f.source)
    if not match or tree is None:
        return None
    globals_ = {t.id for n in tree.body if isinstance(n, (ast.Assign, ast.AnnAssign))
                for t in (n.targets if isinstance(n, ast.Assign) else [n.target]) if isinstance(t, ast.Name)}
    names = [n.id for n in f.nodes() if isinstance(n, ast.Name) and n.id in globals_]
    if not names:
        return None
    name = names[0]
    fix = f"keep it on the module: `self.{name} = {name}` in `__init__`, and read `self.{name}` here"
    if name == "device" or "device" in name:
        tensors = [a.arg for a in (f.function().args.args if f.function() else []) if a.arg != "self"]
        fix = (f"take the device from the input: `{tensors[0]}.device`" if tensors else fix) + \
              f" (TorchScript does not read the global {name})"
    return Advice("global", f"it reads the global `{name}` (a {match.group(1)}), and TorchScript compiles only "
                  "the module's own attributes and arguments", fix)


def _super_conv(f: Failure) -> Advice | None:
    """`super()._conv_forward(x, weight, bias)` in a Conv subclass (a weight-standardised or cast conv)."""
    if "super()" not in f.code or "attribute or method '_conv_forward'" not in f.text:
        return None
    holder = f.class_def()
    base = ast.unparse(holder.bases[0]) if holder and holder.bases else "Conv2d"
    dims = next((d for d in "123" if base.endswith(f"Conv{d}d")), "2")
    call = next((n for n in f.nodes() if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
                 and n.func.attr == "_conv_forward"), None)
    args = ", ".join(ast.unparse(a) for a in call.args) if call else "x, self.weight, self.bias"
    return Advice("super", "it calls super()._conv_forward(), which TorchScript cannot compile (it has no super())",
                  f"call the op directly: `F.conv{dims}d({args}, self.stride, self.padding, self.dilation, "
                  "self.groups)` (import torch.nn.functional as F)")


def _weight_norm(f: Failure) -> Advice | None:
    """A module wrapped with torch.nn.utils.weight_norm: its forward pre-hook is a Python object TorchScript cannot
    compile (a vocoder's convolutions, say)."""
    if "'WeightNorm' object has no attribute" not in f.text:
        return None
    lines = f.source.splitlines()
    line = next((i for i, text in enumerate(lines, 1) if "weight_norm(" in text and "remove" not in text), 0)
    removes = any("remove_weight_norm" in text for text in lines)
    return Advice("weight-norm", "the model's layers are wrapped with weight_norm, whose hook TorchScript cannot "
                  "compile", ("call the model's own remove_weight_norm() before converting (for inference the "
                          "weights are fixed)" if removes else "remove it before converting, "
                          "torch.nn.utils.remove_weight_norm(layer) on each layer") +
                  ", or use torch.nn.utils.parametrizations.weight_norm, which scripts", line)


def _may_return_none(f: Failure) -> Advice | None:
    """A forward() whose if/elif chain has no else and nothing after it returns None when no branch matches, so
    TorchScript types it Optional[Tensor], and the layer it feeds (often inside an nn.Sequential) refuses that."""
    if "instead found type 'Optional[Tensor]'" not in f.text:
        return None
    tree = _tree(f.source)
    for cls in (n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)) if tree else ():
        for function in (n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == "forward"):
            last = function.body[-1] if function.body else None
            if isinstance(last, ast.If) and not _always_returns(last):
                branch = last
                while branch.orelse and len(branch.orelse) == 1 and isinstance(branch.orelse[0], ast.If):
                    branch = branch.orelse[0]
                return Advice("returns-none", f"{cls.name}.forward() returns nothing when no branch of its if/elif "
                              "matches, so TorchScript types its result Optional[Tensor] where a Tensor is needed",
                              f"make the last `elif` (line {branch.lineno}) an `else`, or end forward() with "
                              "`raise ValueError(...)`", branch.lineno)
    return None


def _always_returns(statement: ast.stmt) -> bool:
    if isinstance(statement, (ast.Return, ast.Raise)):
        return True
    if isinstance(statement, ast.If):
        return bool(statement.orelse) and _always_returns(statement.body[-1]) and _always_returns(statement.orelse[-1])
    return False


_NOT_SCRIPTED = {"spmm": "torch.sparse.mm"}  # torch functions TorchScript lacks -> the one it has


def _unknown_op(f: Failure) -> Advice | None:
    """`torch.spmm(adj, support)`: a torch function with no TorchScript op; torch's own suggestions follow it."""
    match = re.search(r"Unknown builtin op: aten::(\w+)\.", f.text)
    if not match:
        return None
    name = match.group(1)
    suggested = re.findall(r"^\s+aten::(\w+)$", f.text, re.MULTILINE)[:4]
    fix = (f"call `{_NOT_SCRIPTED[name]}` instead, which TorchScript has" if name in _NOT_SCRIPTED else
           f"use a function TorchScript has ({', '.join(f'torch.{s}' for s in suggested)} are near it), or let "
           "hybrid mode trace the module" if suggested else "let hybrid mode trace the module that calls it")
    return Advice("unknown-op", f"torch.{name} is not one of TorchScript's ops", fix)


def _by_message(f: Failure) -> Advice | None:
    return next((advice for words, advice in _BY_MESSAGE if any(w in f.text for w in words)), None)


_RULES: tuple[Callable[[Failure], Advice | None], ...] = (
    _unannotated_argument, _unannotated_callee, _none_attribute, _int_for_float, _function_list,
    _unsupported_attribute_type, _function_attribute, _if_expression, _container_index, _varargs, _format_spec,
    _super_forward, _super_conv, _default_of_other_type, _global_value, _weight_norm, _may_return_none, _unknown_op,
    _invalid_constant, _library_call, _by_message,
    _generator, _unsupported_builtin,
)
