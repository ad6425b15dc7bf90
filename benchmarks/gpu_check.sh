#!/usr/bin/env bash
# GPU check: run from a clean checkout on a machine with a CUDA GPU.
# Installs skbnn with CUDA-enabled JAX, prints the GPU that JAX sees, fits the
# MNIST MLP and then the MNIST conv net with device="gpu", each with both
# gradient estimators (local reparameterization / Flipout, the default, and
# weight sampling), and prints their steps/s, fit seconds, accuracy and
# prediction seconds (each example's last line is its JSON figures). Takes
# ten minutes or so.
#
#   bash benchmarks/gpu_check.sh [MNIST_DIR] [EPOCHS] [CONV_EPOCHS]
set -euo pipefail
cd "$(dirname "$0")/.."
data_dir=${1:-../shared/data/mnist}
epochs=${2:-15}
conv_epochs=${3:-30}

python3 -m pip install --quiet -e ".[gpu,examples]"
python3 -c "import jax; print('JAX', jax.__version__, 'sees', jax.devices())"
for estimator in local weights; do
    python3 examples/mnist_mlp.py --data-dir "$data_dir" --device gpu \
        --epochs "$epochs" --gradient-estimator "$estimator"
    python3 examples/mnist_conv.py --data-dir "$data_dir" --device gpu \
        --epochs "$conv_epochs" --gradient-estimator "$estimator"
done
