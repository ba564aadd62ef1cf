"""What did not fit when weights were loaded into a .py's model, as the graph page's rows and one summary line:
plain data, no torch."""
from __future__ import annotations

from tsviz.model.jsonio import from_data, to_data
from tsviz.model.weights import Mismatch, WeightKey, WeightsLoad, by_module
from tsviz.report import weights as views

LOADED = WeightsLoad(
    filename="ck.tar", holds="a checkpoint", entry="model_state_dict", prefix="module.", loaded=60, model_tensors=64,
    missing=(WeightKey("layer1.0.bn1.num_batches_tracked", "layer1.0.bn1", ()), WeightKey("layer1.0.bn2.bias",
                                                                                          "layer1.0.bn2", (64,))),
    unexpected=(WeightKey("aux.weight", "aux", (10, 512)),),
    mismatched=(Mismatch("fc.weight", "fc", (10, 512), (1000, 512),
                         "fc.weight is 10×512 in the file, 1000×512 in the model: num_classes=10?"),
                Mismatch("fc.bias", "fc", (10,), (1000,), "fc.bias is 10 in the file, 1000 in the model: "
                                                            "num_classes=10?")))


def test_the_summary_names_the_file_the_entry_the_prefix_and_what_did_not_fit() -> None:
    assert LOADED.summary() == ("Weights: 60 of 64 tensors loaded from ck.tar, a checkpoint (entry 'model_state_dict', "
                                "prefix 'module.' removed); 2 missing, 1 unexpected, 2 of another shape.")
    assert not LOADED.complete


def test_mismatch_rows_keep_the_constructor_value_to_change() -> None:
    assert views.mismatch_rows(LOADED)[0] == {"module": "fc", "tensor": "weight", "in the file": "10 × 512",
                                              "in the model": "1000 × 512", "what to change": "num_classes=10?"}
    assert views.load_title(LOADED) == "What did not fit: 2 of another shape, 2 missing, 1 unexpected"


def test_missing_names_are_grouped_by_their_module() -> None:
    assert by_module(LOADED.missing) == {"layer1.0.bn1": ["layer1.0.bn1.num_batches_tracked"],
                                         "layer1.0.bn2": ["layer1.0.bn2.bias"]}
    assert views.key_rows(LOADED.unexpected) == [{"module": "aux", "tensors": "weight"}]


def test_a_weights_load_survives_the_json_boundary() -> None:
    assert from_data(WeightsLoad, to_data(LOADED)) == LOADED
