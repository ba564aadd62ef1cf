"""What a .py defines, read from its text without running it: for the page of a file that does not import, which
classes and functions it could offer once it does."""
from __future__ import annotations

import ast

MAX_SOURCE = 2 * 2**20  # characters parsed on the server side; a larger file is not outlined


def outline(source: str) -> tuple[str, ...]:
    """The file's top-level classes (with their bases) and functions, in order: `UNet(nn.Module)`, `ResNet18()`.
    Empty when it does not parse."""
    if len(source) > MAX_SOURCE:
        return ()
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return ()
    found = []
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            found.append(f"{node.name}({', '.join(ast.unparse(b) for b in node.bases)}) · line {node.lineno}")
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and not node.name.startswith("_"):
            found.append(f"{node.name}() · line {node.lineno}")
    return tuple(found)
