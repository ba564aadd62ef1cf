"""torch's "is not a valid constant" (a layer built with a NumPy size, as a published accentor's LSTM_model is:
`'numpy.int64' object in attribute 'Linear.out_features'`) is advised as the attribute it is, never as a NumPy call."""
from __future__ import annotations

from tsviz.analysis.script_advice import Failure, advise

TEXT = ("'numpy.int64' object in attribute 'Linear.out_features' is not a valid constant.\nValid constants are:\n"
        "1. a nn.ModuleList\n2. a value of type {bool, float, int, str, NoneType, torch.device, torch.layout, "
        "torch.dtype, torch.qscheme}\n3. a list or tuple of (2)\n")


def test_a_numpy_int_attribute_is_named_with_the_plain_value_to_give() -> None:
    advice = advise(Failure(TEXT, "import numpy as np\nclass M(nn.Module):\n    pass\n", 0))
    assert advice is not None and advice.cause == "invalid-constant"
    assert advice.message.startswith("the attribute Linear.out_features holds a numpy.int64")
    assert "int(...)" in advice.fix and "layer.out_features = int(...)" in advice.fix
    assert "NumPy (" not in advice.message
