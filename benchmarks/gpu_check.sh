#!/usr/bin/env bash
# GPU check: run from a clean checkout on a machine with a CUDA GPU.
# Installs skbnn with CUDA-enabled JAX, prints the GPU that JAX sees, fits the
# MNIST MLP with device="gpu" and prints its steps/s, fit seconds and
# accuracy (the example's last line is its JSON figures). Takes a few minutes.
#
#   bash benchmarks/gpu_check.sh [MNIST_DIR] [EPOCHS]
set -euo pipefail
cd "$(dirname "$0")/.."
data_dir=${1:-../shared/data/mnist}
epochs=${2:-15}

python3 -m pip install --quiet -e ".[gpu,examples]"
python3 -c "import jax; print('JAX', jax.__version__, 'sees', jax.devices())"
python3 examples/mnist_mlp.py --data-dir "$data_dir" --device gpu --epochs "$epochs"
