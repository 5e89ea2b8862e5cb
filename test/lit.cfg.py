# -*- Python -*-
import os
import shutil
import subprocess

import lit.formats
from lit.llvm import llvm_config

config.name = "SIEVE"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.excludes = ["inputs", "gen", "CMakeLists.txt", "lit.cfg.py",
                   "lit.site.cfg.py"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.sieve_obj_root, "test")

llvm_config.use_default_substitutions()
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.with_environment("PATH", config.sieve_tools_dir, append_path=True)
llvm_config.add_tool_substitutions(["sieve-opt", "sieve-translate", "sieve-compile"],
                                   [config.sieve_tools_dir])

# python3-onnx imports only under Debian's interpreter (build-notes.md).
# (A substitution must not start with %python: lit's own prefix-matches it.)
config.substitutions.append(("%onnx_python", "/usr/bin/python3"))
config.substitutions.append(("%sieve_src", config.sieve_src_root))
config.substitutions.append(("%gen", os.path.join(config.sieve_src_root,
                                                   "test", "gen")))

# The bundled float16 example model (committed in the repository).
example = os.path.join(config.sieve_src_root, "models", "llama12")
config.substitutions.append(("%example_models", example))
if os.path.exists(os.path.join(example, "llama12_fp16w.onnx")):
    config.available_features.add("example-model")

# The float32 reference models live in ../shared beside the checkout.
shared = os.path.normpath(os.path.join(config.sieve_src_root, "..", "shared",
                                       "models"))
config.substitutions.append(("%shared_models", shared))
if os.path.exists(os.path.join(shared, "llama12", "llama12.onnx")):
    config.available_features.add("shared-models")
else:
    lit_config.note("../shared/models/llama12 not found: tests that need the "
                    "float32 llama12 are UNSUPPORTED (skipped)")

try:
    subprocess.run(["/usr/bin/python3", "-c", "import onnx"], check=True,
                   capture_output=True)
    config.available_features.add("onnx-python")
except Exception:
    lit_config.note("/usr/bin/python3 cannot import onnx (install "
                    "python3-onnx): import tests are UNSUPPORTED (skipped)")

nvcc = shutil.which("nvcc") or ("/usr/local/cuda/bin/nvcc"
                                if os.path.exists("/usr/local/cuda/bin/nvcc")
                                else None)
if nvcc:
    config.available_features.add("nvcc")
    config.substitutions.append(("%nvcc", nvcc))
else:
    lit_config.note("nvcc not found: tests that build generated CUDA are "
                    "UNSUPPORTED (skipped)")

nvidia_smi = shutil.which("nvidia-smi")
if nvidia_smi and subprocess.run([nvidia_smi], capture_output=True).returncode == 0:
    config.available_features.add("gpu")
else:
    lit_config.note("no GPU: tests labelled REQUIRES: gpu are UNSUPPORTED "
                    "(skipped)")
