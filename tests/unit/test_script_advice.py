"""The advice rules on torch 2.13's own compile errors (copied from real runs of torch.jit.script) and the user's
source: no torch import, each rule read as text."""
from __future__ import annotations

from tsviz.analysis.script_advice import Advice, Failure, advise, library_call


def advice_for(text: str, source: str, line: int) -> Advice:
    advice = advise(Failure(text, source, line))
    assert advice is not None, "no rule matched"
    return advice


def error(message: str, line: int, code: str, file: str = "model.py") -> str:
    """torch's shape of a compile error: the message, then the file, the line and its source with a marker."""
    return (f"\n{message}:\n  File \"{file}\", line {line}\n    def forward(self, x):\n        {code}\n"
            "        ~~~ <--- HERE\n")


IF_EXPR = "class M(nn.Module):\n    def forward(self, x):\n        p = self.dropout if self.training else 0\n"


def test_if_expression_with_an_int_literal_becomes_a_float_literal() -> None:
    text = error("if-expression's true branch has type float but false branch has type int", 3,
                 "p = self.dropout if self.training else 0")
    advice = advice_for(text, IF_EXPR, 3)
    assert advice.cause == "if-expression" and advice.fix.endswith("`self.dropout if self.training else 0.0`")


def test_if_expression_with_an_int_attribute_wraps_it_in_float() -> None:
    source = "class M(nn.Module):\n    def forward(self, x):\n        p = 0.5 if self.training else self.p\n"
    text = error("if-expression's true branch has type float but false branch has type int", 3, "p = ...")
    assert "`0.5 if self.training else float(self.p)`" in advice_for(text, source, 3).fix


def test_if_expression_mixing_a_tensor_and_a_number_makes_the_number_a_tensor() -> None:
    source = "class M(nn.Module):\n    def forward(self, x):\n        y = self.fc(x) if x.sum() > 0 else 0.0\n"
    text = error("if-expression's true branch has type Tensor but false branch has type float", 3, "y = ...")
    assert "`self.fc(x) if x.sum() > 0 else torch.tensor(0.0)`" in advice_for(text, source, 3).fix


LAMBDA_SOURCE = ("class M(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
                 "        self.act = lambda t: t * torch.sigmoid(t)\n\n    def forward(self, x):\n"
                 "        return self.act(x)\n")
LAMBDA_TEXT = ("\nModule 'M' has no attribute 'act' (This function exists as an attribute on the Python module, but we "
               "failed to compile it to a TorchScript function. \nThe error stack is reproduced here:\nExpected a "
               "single top-level function: model.py:4):\n  File \"model.py\", line 7\n")


def test_a_lambda_attribute_points_at_the_line_that_made_it() -> None:
    advice = advice_for(LAMBDA_TEXT, LAMBDA_SOURCE, 7)
    assert advice.line == 4 and advice.message.startswith("self.act holds a lambda (made on line 4)")
    assert "`def act(self, t): return t * torch.sigmoid(t)`" in advice.fix


def test_a_lambda_inside_forward_keeps_the_general_lambda_advice() -> None:
    source = "class M(nn.Module):\n    def forward(self, x):\n        return (lambda t: t)(x)\n"
    advice = advice_for(error("Lambda aren't supported", 3, "return (lambda t: t)(x)"), source, 3)
    assert advice.message.startswith("it uses a lambda") and advice.line == 0


def test_module_list_indexed_by_a_loop_counter_gets_enumerate() -> None:
    source = ("class M(nn.Module):\n    def forward(self, x):\n        for i in range(len(self.layers)):\n"
              "            x = self.layers[i](x)\n")
    text = error("Expected integer literal for index but got a variable or non-integer. ModuleList/Sequential "
                 "indexing is only supported with integer literals", 4, "x = self.layers[i](x)")
    assert "`for i, layer in enumerate(self.layers):`" in advice_for(text, source, 4).fix


def test_module_dict_indexed_by_an_argument_loops_over_its_items() -> None:
    source = "class M(nn.Module):\n    def forward(self, x, task: str):\n        return self.heads[task](x)\n"
    text = error("Unable to extract string literal index. ModuleDict indexing is only supported with string "
                 "literals", 3, "return self.heads[task](x)")
    assert "`for key, module in self.heads.items():` then `if key == task:" in advice_for(text, source, 3).fix


def test_kwargs_in_forward_is_dropped_from_the_signature() -> None:
    source = "class M(nn.Module):\n    def forward(self, x, mask=None, **kwargs):\n        return x\n"
    text = error("Compiled functions can't take variable number of arguments or use keyword-only arguments with "
                 "defaults", 2, "def forward(self, x, mask=None, **kwargs):")
    advice = advice_for(text, source, 2)
    assert advice.message.startswith("forward() takes **kwargs") and "`def forward(self, x, mask=None)`" in advice.fix


def test_star_args_read_by_index_are_named() -> None:
    source = "class M(nn.Module):\n    def forward(self, *args):\n        return args[0] + args[1]\n"
    text = error("Compiled functions can't take variable number of arguments", 2, "def forward(self, *args):")
    assert "`def forward(self, arg0, arg1)`" in advice_for(text, source, 2).fix


def test_a_library_function_with_kwargs_is_the_call_of_the_library_not_the_users_def() -> None:
    source = ("from einops import rearrange\n\n\nclass M(nn.Module):\n    def forward(self, x):\n"
              "        return rearrange(x, 'b n (h d) -> b h n d', h=4)\n")
    text = ("Compiled functions can't take variable number of arguments or use keyword-only arguments with defaults:"
            "\n  File \"/venv/lib/python3.11/site-packages/einops/einops.py\", line 561\ndef rearrange(tensor, "
            "pattern: str, **axes_lengths: Size) -> Tensor:\n")
    advice = advice_for(text, source, 0)
    assert advice.cause == "library-call" and advice.line == 6 and "rearrange() from einops" in advice.message
    assert "`self.rearrange = Rearrange('b n (h d) -> b h n d', h=4)`" in advice.fix


def test_library_call_prefers_the_function_torch_names() -> None:
    source = ("import numpy as np\nfrom einops import rearrange\n\n\ndef f(x):\n    y = np.sqrt(2)\n"
              "    return rearrange(x, 'a b -> b a')\n")
    assert library_call(source, "rearrange") == (7, "rearrange", "einops")
    assert library_call(source) == (6, "np.sqrt", "numpy")


def test_super_forward_of_a_users_class_moves_the_body_into_a_method() -> None:
    source = ("class Base(nn.Module):\n    def forward(self, x):\n        return x\n\n\nclass Child(Base):\n"
              "    def forward(self, x):\n        return super().forward(x) * 2\n")
    text = error("'Tensor' object has no attribute or method 'forward'.", 8, "return super().forward(x) * 2")
    assert "call `self._forward(x)` here" in advice_for(text, source, 8).fix


def test_math_prod_names_the_call_and_the_flatten_alternative() -> None:
    source = "class M(nn.Module):\n    def forward(self, x):\n        return x.reshape(-1, math.prod(x.shape[1:]))\n"
    text = error("Python builtin <built-in function prod> is currently not supported in Torchscript", 3, "...")
    advice = advice_for(text, source, 3)
    assert "it calls math.prod()" in advice.message and "x.flatten(1)" in advice.fix


def test_a_format_spec_is_dropped_from_the_f_string() -> None:
    source = "class M(nn.Module):\n    def forward(self, x):\n        name = f'layer{x.dim():02d}'\n"
    advice = advice_for(error("Don't support formatting in JoinedStr", 3, "name = ..."), source, 3)
    assert "(:02d)" in advice.message and "`f'layer{x.dim()}'`" in advice.fix


def test_a_property_forward_does_not_read_is_listed_as_unused() -> None:
    source = ("class M(nn.Module):\n    def __init__(self):\n        self.fc = nn.Linear(2, 2)\n\n    @property\n"
              "    def device(self):\n        return next(self.parameters()).device\n\n"
              "    def forward(self, x):\n        return self.fc(x)\n")
    text = error("Python builtin <built-in function next> is currently not supported in Torchscript", 7, "...")
    advice = advice_for(text, source, 7)
    assert "inside the @property device" in advice.message
    assert "`__jit_unused_properties__ = [\"device\"]`" in advice.fix and "`self.fc.weight.device`" in advice.fix


def test_a_list_of_lambdas_points_at_its_assignment() -> None:
    source = ("class M(nn.Module):\n    def __init__(self):\n        self.acts = [lambda t: t.relu()]\n\n"
              "    def forward(self, x):\n        for a in self.acts:\n            x = a(x)\n        return x\n")
    text = ("\nModule 'M' has no attribute 'acts' (This attribute exists on the Python module, but we failed to "
            "convert Python type: 'list' to a TorchScript type. Could not infer type of list element: Only tensors "
            "... but instead got value of type function.. Its type was inferred):\n")
    advice = advice_for(text, source, 6)
    assert advice.cause == "function-list" and advice.line == 3


# Found by the real-world sweep (benchmarks/real_world.py): each message is torch 2.13's for that habit.

def test_an_unannotated_argument_with_a_bool_default_is_annotated_with_its_defaults_type() -> None:
    source = ("class Attention(nn.Module):\n    def forward(self, x, return_attention=False):\n"
              "        return x\n")
    text = ('Expected a default value of type Tensor (inferred) on parameter "return_attention".Because '
            '"return_attention" was not annotated with an explicit type it is assumed to be type \'Tensor\'.:\n'
            '  File "vit.py", line 2\n')
    advice = advice_for(text, source, 2)
    assert advice.cause == "default-type" and advice.fix == "annotate it in the def: `return_attention: bool = False`"


def test_a_global_device_read_in_forward_is_taken_from_the_input() -> None:
    source = ("device = 'cuda' if torch.cuda.is_available() else 'cpu'\n\n\nclass LM(nn.Module):\n"
              "    def forward(self, idx):\n        pos = torch.arange(8, device=device)\n        return idx + pos\n")
    text = error("python value of type 'str' cannot be used as a value. Perhaps it is a closed over global variable?"
                 " If so, please consider passing it in as an argument or use a local variable instead.", 6,
                 "pos = torch.arange(8, device=device)")
    advice = advice_for(text, source, 6)
    assert advice.cause == "global" and advice.fix.startswith("take the device from the input: `idx.device`")


def test_a_global_shape_tuple_is_kept_on_the_module() -> None:
    source = ("img_shape = (1, 28, 28)\n\n\nclass Generator(nn.Module):\n    def forward(self, z):\n"
              "        return z.view(z.size(0), *img_shape)\n")
    text = error("python value of type 'tuple' cannot be used as a tuple", 6, "return z.view(z.size(0), *img_shape)")
    assert advice_for(text, source, 6).fix.startswith("keep it on the module: `self.img_shape = img_shape`")


def test_super_conv_forward_becomes_the_functional_conv() -> None:
    source = ("class Conv1d(nn.Conv1d):\n    def _conv_forward(self, x, weight, bias):\n"
              "        return super()._conv_forward(x, weight.to(x.dtype), bias)\n")
    text = error("'Tensor' object has no attribute or method '_conv_forward'.", 3, "return super()._conv_forward(...)")
    assert "`F.conv1d(x, weight.to(x.dtype), bias, self.stride, self.padding, self.dilation, self.groups)`" in \
        advice_for(text, source, 3).fix


def test_weight_norm_points_at_the_wrapped_layer_and_the_models_own_remover() -> None:
    source = ("from torch.nn.utils import weight_norm, remove_weight_norm\n\n\nclass G(nn.Module):\n"
              "    def __init__(self):\n        super().__init__()\n"
              "        self.conv = weight_norm(nn.Conv1d(4, 4, 3))\n\n"
              "    def remove_weight_norm(self):\n        remove_weight_norm(self.conv)\n")
    advice = advice_for("'WeightNorm' object has no attribute '__name__'", source, 0)
    assert advice.cause == "weight-norm" and advice.line == 7 and "remove_weight_norm()" in advice.fix


def test_a_forward_whose_elif_chain_can_fall_through_is_pointed_at_its_last_elif() -> None:
    source = ("class LayerNorm(nn.Module):\n    def forward(self, x):\n        if self.data_format == 'last':\n"
              "            return F.layer_norm(x, self.shape, self.weight, self.bias, self.eps)\n"
              "        elif self.data_format == 'first':\n            return x * self.weight\n")
    text = ("forward(__torch__.torch.nn.modules.conv.Conv2d self, Tensor input) -> Tensor:\nExpected a value of type "
            "'Tensor' for argument 'input' but instead found type 'Optional[Tensor]'.\n:\n  File \"container.py\", "
            "line 253\n")
    advice = advice_for(text, source, 0)
    assert advice.cause == "returns-none" and advice.line == 5 and "an `else`" in advice.fix


def test_a_torch_function_torchscript_lacks_names_the_one_it_has() -> None:
    text = ("\nUnknown builtin op: aten::spmm.\nHere are some suggestions: \n\taten::hspmm\n\taten::smm\n\taten::mm\n\n"
            "The original call is:\n  File \"layers.py\", line 3\n")
    source = "class G(nn.Module):\n    def forward(self, x, adj):\n        return torch.spmm(adj, x)\n"
    advice = advice_for(text, source, 3)
    assert advice.cause == "unknown-op" and advice.fix == "call `torch.sparse.mm` instead, which TorchScript has"
