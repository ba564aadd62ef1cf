"""Off TorchScript and out of Python, worker side: the LibTorch C++ runner (built once per machine, run in the
sandbox) and ONNX Runtime, beside Python's own run of the same archive."""
