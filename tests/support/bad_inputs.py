"""The bad-input corpus: uploads that are broken or hostile, each with the message a user must get.

Each case builds its file in a temp dir (crafted .pt archives are made here, by scripting the classes below
in the test process; only the worker ever loads them). `expect` is a regex over the error's one-line text;
`line` is the line of the upload it must name (0 where there is none). A case with `error=None` is a
positive control: it must convert.
"""
from __future__ import annotations

import io
import json
import os
import pickle
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from tsviz.model.errors import (
    ArchiveError,
    EntryError,
    InputError,
    ScriptError,
    SourceError,
    TraceError,
    TsvizError,
    WorkerError,
)
from tsviz.model.jobs import Limits

QUICK = Limits.every_stage(4)  # hangs are stopped after 4 s in whichever stage they hang
SECRET = "tsviz-host-secret-0123456789"  # written to a host file that a crafted archive tries to read
CANARY = "unchanged"


@dataclass(frozen=True)
class BadInput:
    name: str
    filename: str
    make: Callable[[Path], bytes]
    expect: str
    error: type[TsvizError] | None
    line: int = 0
    mode: str = "script"
    limits: Limits = QUICK
    needs_sandbox: bool = False
    after: Callable[[Path, object], None] | None = field(default=None, repr=False)


def text(source: str) -> Callable[[Path], bytes]:
    return lambda _tmp: source.encode()


def _save(module: object) -> bytes:
    buffer = io.BytesIO()
    torch.jit.save(module, buffer)
    return buffer.getvalue()


# ---- modules scripted into crafted archives ------------------------------------------------------------

class AddOne(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(x) + 1


class LoopOnLoad(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.n = 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + 1

    @torch.jit.export
    def __getstate__(self) -> int:
        return self.n

    @torch.jit.export
    def __setstate__(self, state: int) -> None:
        self.n = state
        while self.n >= 0:
            self.n = self.n + 1 - 1


class ReadOnLoad(nn.Module):
    def __init__(self, path: str) -> None:
        super().__init__()
        self.path = path
        self.data = torch.zeros(1, dtype=torch.uint8)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.data.sum()

    @torch.jit.export
    def __getstate__(self) -> str:
        return self.path

    @torch.jit.export
    def __setstate__(self, state: str) -> None:
        self.path = state
        self.training = False
        self.data = torch.from_file(state, False, 16, dtype=torch.uint8)  # the secret's first 16 bytes


class WriteOnLoad(nn.Module):
    def __init__(self, path: str) -> None:
        super().__init__()
        self.path = path
        self.data = torch.zeros(4, dtype=torch.uint8)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + 1

    @torch.jit.export
    def __getstate__(self) -> str:
        return self.path

    @torch.jit.export
    def __setstate__(self, state: str) -> None:
        self.path = state
        self.training = False
        self.data = torch.from_file(state, True, 4, dtype=torch.uint8)
        self.data.fill_(88)


class HogOnLoad(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.t = torch.zeros(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + 1

    @torch.jit.export
    def __getstate__(self) -> int:
        return 40

    @torch.jit.export
    def __setstate__(self, gigabytes: int) -> None:
        self.t = torch.ones([gigabytes * 268435456])  # 40 GB of float32


class Payload:
    """Unpickling this writes the marker file: an upload that tries to run code through pickle."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def traced_archive(_tmp: Path) -> bytes:
    return _save(torch.jit.trace(AddOne(), (torch.randn(2, 3),)))


def scripted_archive(_tmp: Path) -> bytes:
    return _save(torch.jit.script(AddOne()))


def truncated_archive(tmp: Path) -> bytes:
    whole = scripted_archive(tmp)
    return whole[: len(whole) // 2]


def unknown_op_archive(tmp: Path) -> bytes:
    """A scripted archive whose code calls an operator no PyTorch has."""
    source = zipfile.ZipFile(io.BytesIO(scripted_archive(tmp)))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as target:
        for item in source.infolist():
            data = source.read(item)
            if "/code/" in item.filename and item.filename.endswith(".py"):
                data = data.replace(b"torch.relu(", b"ops.tsviz_nowhere.no_such_op(")
            target.writestr(item, data)
    return out.getvalue()


def state_dict_file(_tmp: Path) -> bytes:
    buffer = io.BytesIO()
    torch.save(nn.Linear(2, 2).state_dict(), buffer)
    return buffer.getvalue()


def reduce_payload(tmp: Path) -> bytes:
    buffer = io.BytesIO()
    torch.save({"weights": torch.zeros(2), "trap": Payload(str(tmp / "marker"))}, buffer)
    return buffer.getvalue()


def plain_pickle_payload(tmp: Path) -> bytes:
    return pickle.dumps(Payload(str(tmp / "marker")), protocol=2)


def not_torchscript_zip(_tmp: Path) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("notes/readme.txt", "hello")
    return out.getvalue()


def host_secret_reader(tmp: Path) -> bytes:
    secret = tmp / "secret.txt"
    secret.write_text(SECRET)
    return _save(torch.jit.script(ReadOnLoad(str(secret))))


def host_canary_writer(tmp: Path) -> bytes:
    canary = tmp / "canary.txt"
    canary.write_text(CANARY)
    return _save(torch.jit.script(WriteOnLoad(str(canary))))


# ---- forged answers: the upload writes an answer of its own into every pipe it finds, then exits 0 ------------

FORGER = "import os\n\nANSWER = {answer}\nfor fd in range(3, 32):\n    try:\n        os.write(fd, ANSWER)\n" \
         "    except OSError:\n        pass\nos._exit(0)\n"
HOSTILE = 'x" [URL="javascript:alert(1)"]; <a href="javascript:alert(2)">'  # for labels, kinds, names


def forged_answer(hostile_ids: bool) -> Callable[[Path], bytes]:
    """A well-formed inspect answer of the feed-forward sample with hostile text in its labels and, if
    `hostile_ids`, a node id that would be DOT (a live link in the SVG) if it were written unquoted."""
    def make(_tmp: Path) -> bytes:
        from support.samples import inspect_sample
        from tsviz.model.jsonio import to_data

        data = to_data(inspect_sample("feed_forward.py", "script"))
        data["archive"] = None  # the converted archive is a job file of another job: this one wrote none
        for node in data["graph"]["nodes"]:
            node["kind"], node["scope"] = f"aten::{HOSTILE}" if node["kind"].startswith("aten") else node["kind"], HOSTILE
            for out in node["outputs"]:
                out["name"] = out["type"] = HOSTILE
        if hostile_ids:
            data["graph"]["nodes"][0]["id"] = 'n0 [URL="javascript:alert(3)"]'
        return FORGER.format(answer=repr(json.dumps({"ok": data}).encode())).encode()
    return make


def forged_bytes(expression: str) -> Callable[[Path], bytes]:
    """An answer built by the upload itself (it may be megabytes; the source stays small)."""
    return text(FORGER.format(answer=expression))


def no_links_when_drawn(_tmp: Path, outcome: object) -> None:
    """The hostile labels got through (they are only text) and nothing of them is a link once drawn: no <a>, no
    href, no javascript: in any element of the SVG or of the review report (as text, it may be shown)."""
    from html.parser import HTMLParser

    from tsviz.graph.dot import to_dot
    from tsviz.graph.layout import render_svg
    from tsviz.report.review import build_report

    class Tags(HTMLParser):
        found: list[tuple[str, list]] = []

        def handle_starttag(self, tag, attrs):
            self.found.append((tag, attrs))

    svg = render_svg(to_dot(outcome.graph))
    assert "aten::x" in svg  # the hostile kind is drawn, as text
    for page in (svg, build_report(outcome, svg)):
        tags = Tags()
        tags.found = []
        tags.feed(page)
        assert tags.found and all(tag != "a" for tag, _ in tags.found)
        attributes = [(name, value or "") for _, attrs in tags.found for name, value in attrs]
        assert not [a for a in attributes if "href" in a[0] or "javascript:" in a[1].lower()], attributes


def tmp_is_empty_for_the_next_job(_tmp: Path, _outcome: object) -> None:
    from support.samples import request_for
    from tsviz import client

    look = "import os\nimport torch\n\nassert os.listdir('/tmp') == [] or all(n.startswith('tsviz-job-') " \
           "for n in os.listdir('/tmp')), os.listdir('/tmp')\n\n\ndef f(x):\n    return x\n"
    client.run("inspect", request_for("look.py", look))


# ---- checks after a case ---------------------------------------------------------------------------------

def marker_absent(tmp: Path, _outcome: object) -> None:
    assert not (tmp / "marker").exists(), "the pickle payload ran"


def canary_unchanged(tmp: Path, _outcome: object) -> None:
    assert (tmp / "canary.txt").read_text() == CANARY


def secret_not_shown(_tmp: Path, outcome: object) -> None:
    assert SECRET[:16] not in repr(outcome)


def converts_with_several_entries(_tmp: Path, outcome: object) -> None:
    assert [e.name for e in outcome.entries] == ["First", "Second"] and outcome.entry == "First"


LINEAR = "import torch\nfrom torch import nn\n\n\nclass M(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.fc = nn.Linear(4, 2)\n\n"


CASES = [
    # .pt archives that are not TorchScript, or damaged
    BadInput("empty_pt", "empty.pt", text(""), r"the file is empty", ArchiveError),
    BadInput("random_bytes", "noise.pt", lambda _t: bytes(range(256)) * 16, r"not a file tsviz knows", ArchiveError),
    BadInput("zip_not_torchscript", "notes.pt", not_torchscript_zip, r"a zip archive of no PyTorch format", ArchiveError),
    BadInput("eager_state_dict", "weights.pt", state_dict_file, r"state_dict|state dict", ArchiveError),
    BadInput("reduce_payload", "trap.pt", reduce_payload, r"a pickle that calls posix.system when it is unpickled", ArchiveError,
             after=marker_absent),
    BadInput("pickle_payload", "legacy.pt", plain_pickle_payload, r"legacy torch.save file", ArchiveError, after=marker_absent),
    BadInput("truncated_archive", "cut.pt", truncated_archive, r"a damaged or truncated zip archive", ArchiveError),
    BadInput("unknown_op", "odd_op.pt", unknown_op_archive, r"could not load this archive: .*no_such_op|Unknown builtin op", ArchiveError),
    # crafted archives whose __setstate__ runs code at load time
    BadInput("setstate_loops", "loop.pt", lambda _t: _save(torch.jit.script(LoopOnLoad())),
             r"timed out after 4 s while loading the archive loop.pt", WorkerError),
    BadInput("setstate_reads_host_file", "peek.pt", host_secret_reader, r"could not load this archive: .*No such file",
             ArchiveError, needs_sandbox=True, after=secret_not_shown),
    BadInput("setstate_writes_host_file", "scribble.pt", host_canary_writer, r"could not load this archive: .*No such file",
             ArchiveError, needs_sandbox=True, after=canary_unchanged),
    BadInput("setstate_allocates_40_gb", "hog.pt", lambda _t: _save(torch.jit.script(HogOnLoad())),
             r"ran out of the 3 GB memory limit while loading the archive hog.pt|could not load this archive: .*(allocate|memory)",
             (WorkerError, ArchiveError)),
    # positive controls
    BadInput("traced_archive", "traced.pt", traced_archive, "", None),
    BadInput("scripted_archive", "scripted.pt", scripted_archive, "", None),
    BadInput("several_modules", "two.py", text("import torch\nfrom torch import nn\n\n\nclass First(nn.Module):\n"
             "    def forward(self, x):\n        return x + 1\n\n\nclass Second(nn.Module):\n"
             "    def forward(self, x):\n        return x * 2\n"), "", None, after=converts_with_several_entries),
    # .py files that break or attack the worker
    BadInput("segfault", "segv.py", text("import ctypes\n\nctypes.string_at(0)\n"), r"crashed \(SIGSEGV\) while importing segv.py",
             WorkerError, line=3),
    BadInput("hang_at_import", "hang.py", text("import time\n\nwhile True:\n    time.sleep(0.01)\n"),
             r"timed out after 4 s while importing hang.py", WorkerError, line=4),
    BadInput("forward_never_returns", "spin.py", text(LINEAR + "    def forward(self, x):\n        while True:\n"
             "            x = x + 0\n        return x\n\n\ndef example_inputs():\n    return (torch.randn(2, 4),)\n"),
             r"timed out after 4 s while converting spin.py with trace", WorkerError, line=12, mode="trace"),
    BadInput("os_exit", "quit.py", text("import os\n\nos._exit(3)\n"), r"exited with status 3 while importing quit.py", WorkerError),
    BadInput("sys_exit", "bye.py", text("import sys\n\nsys.exit(2)\n"), r"called sys.exit\(2\)", SourceError, line=3),
    BadInput("syntax_error", "typo.py", text("import torch\n\ndef f(x:\n    return x\n"), r"syntax error", SourceError, line=3),
    BadInput("missing_package", "vision.py", text("import torch\nimport torchvision\n\n\ndef model():\n"
                                                  "    return torchvision.models.resnet18()\n"),
             r"torchvision is not installed here, and line 6 uses torchvision.models.resnet18", EntryError, line=6),
    BadInput("no_module", "empty.py", text("# nothing here\nX = 1\n"), r"found nothing to convert", EntryError),
    BadInput("needs_constructor_args", "sized.py", text("import torch\nfrom torch import nn\n\n\nclass M(nn.Module):\n"
             "    def __init__(self, width: int):\n        super().__init__()\n        self.fc = nn.Linear(width, 2)\n\n"
             "    def forward(self, x):\n        return self.fc(x)\n"), r"needs constructor argument\(s\) width", InputError,
             line=6),
    BadInput("network_socket", "phone.py", text("import socket\n\nsocket.create_connection(('1.1.1.1', 53), timeout=3)\n"),
             r"Network is unreachable .*the worker has no network", SourceError, line=3, needs_sandbox=True),
    BadInput("fork_bomb", "bomb.py", text("import os\n\nwhile True:\n    os.fork()\n"), r"started more than 64 processes",
             WorkerError, needs_sandbox=True),
    BadInput("kills_its_worker", "regicide.py", text("import os\nimport signal\n\nos.kill(os.getppid(), signal.SIGKILL)\n"),
             r"this job brought down its worker process", WorkerError, needs_sandbox=True),
    BadInput("reads_its_servers_memory", "snoop.py", text("import os\n\nopen(f'/proc/{os.getppid()}/mem', 'rb').read(1)\n"),
             r"Permission denied", SourceError, line=3, needs_sandbox=True),
    BadInput("forward_kwargs", "kw.py", text(LINEAR + "    def forward(self, **inputs):\n        return self.fc(inputs['x'])\n"),
             r"line 10: TorchScript cannot compile this line: forward\(\) takes \*\*inputs", ScriptError, line=10),
    BadInput("numpy_in_forward", "np.py", text("import numpy as np\n" + LINEAR + "    def forward(self, x):\n"
             "        y = x.numpy()\n        return torch.from_numpy(np.tanh(y))\n"), r"line 12: TorchScript cannot compile this line: it calls NumPy", ScriptError, line=12),
    BadInput("wrong_input_shape", "shape.py", text(LINEAR + "    def forward(self, x):\n        return self.fc(x)\n\n\n"
             "def example_inputs():\n    return (torch.randn(2, 5),)\n"), r"shapes cannot be multiplied", TraceError, line=11,
             mode="trace"),
    BadInput("forward_returns_string", "words.py", text(LINEAR + "    def forward(self, x):\n        return 'hello'\n\n\n"
             "def example_inputs():\n    return (torch.randn(2, 4),)\n"), r"a trace records tensors only", TraceError, mode="trace"),
    BadInput("forward_returns_none", "nothing.py", text(LINEAR + "    def forward(self, x):\n        self.fc(x)\n\n\n"
             "def example_inputs():\n    return (torch.randn(2, 4),)\n"), r"forward\(\) must return its result", TraceError, mode="trace"),
    BadInput("not_a_model_file", "notes.bin", lambda _: b"\x7fELF\x02\x01\x01\x00" + bytes(40),
             r"not a file tsviz knows", ArchiveError),
    BadInput("garbage_in_the_answer", "scrawl.py", text("import os\n\nfor fd in range(3, 32):\n    try:\n"
             "        os.write(fd, b'garbage')\n    except OSError:\n        pass\n\n\ndef f(x):\n    return x\n"),
             r"answer that is not JSON", WorkerError),
    BadInput("answer_too_large", "flood.py", text("import os\n\nfor fd in range(3, 32):\n    try:\n"
             "        os.write(fd, b'x' * 3_000_000)\n    except OSError:\n        pass\n\n\ndef f(x):\n    return x\n"),
             r"passed the 1 MB limit", WorkerError, limits=Limits.every_stage(4, answer_mb=1)),
    # answers forged by the upload: each is refused or harmless, and the refusal is cached like any error
    BadInput("forged_answer_hostile_id", "forge.py", forged_answer(hostile_ids=True),
             r"wrong shape \(Node.id: .*is not a valid id\).*written into the worker's answer", WorkerError),
    BadInput("forged_answer_hostile_labels", "forge.py", forged_answer(hostile_ids=False), "", None,
             after=no_links_when_drawn),
    BadInput("forged_answer_too_deep", "deep.py", forged_bytes("b'{\"ok\": ' + b'[' * 300000 + b']' * 300000 + b'}'"),
             r"an answer nested too deeply to read", WorkerError),
    BadInput("forged_answer_amplifying", "lists.py", forged_bytes("b'{\"ok\": [' + b'[],' * 3000000 + b'[]]}'"),
             r"answer would take about \d+ MB to read, past this job's \d+ MB", WorkerError),
    # the sandbox's /tmp: capped, and emptied for the next job
    BadInput("fills_tmp_past_its_cap", "hoard.py", text("import os\n\nfor i in range(4):\n"
             "    with open(f'/tmp/hoard{i}', 'wb') as f:\n        f.write(b'x' * 200_000_000)\n"),
             r"No space left on device", SourceError, line=5, needs_sandbox=True, after=tmp_is_empty_for_the_next_job),
]
