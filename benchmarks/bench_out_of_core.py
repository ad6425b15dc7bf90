"""Fit on data larger than the memory the fit uses: an np.memmap and a Dask array.

Writes a generated regression data set of ``--gigabytes`` GB (default 5) of
float32 rows (``--n-features`` features, a smooth nonlinear target plus noise) to
``--work-dir`` as a ``.npy`` file, then fits ``BayesianMLPRegressor`` (the
package's defaults, ``max_iter=--epochs``) on it in a child process under
``/usr/bin/time -v`` three times:

- ``floor``: the same process fitting 10,000 rows in memory, the memory that
  Python, JAX and PyMC take before any data;
- ``memmap``: ``X = np.load(path, mmap_mode="r")``;
- ``dask``: a Dask array reading the same file chunk by chunk with plain file
  reads (``np.fromfile``), in chunks of 8 MiB.

Prints for each the peak resident memory (the "Maximum resident set size" of
``time -v``), the fit time, the rows read per second and the test R^2 on
20,000 held-out rows, and ends with one JSON line.

Run: ``python benchmarks/bench_out_of_core.py --work-dir /tmp/skbnn-ooc``
(the data file is kept there and reused by the next run).
"""

import argparse
import json
import re
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.exceptions import ConvergenceWarning

N_TEST = 20_000
GENERATE_ROWS = 2**18


def target(X, rng):
    """A smooth nonlinear function of the first ten features, plus noise."""
    signal = np.sin(X[:, 0]) + X[:, 1] * X[:, 2] + np.tanh(X[:, 3:10].sum(axis=1))
    return (signal + 0.1 * rng.standard_normal(X.shape[0])).astype(np.float32)


def generate(work_dir, gigabytes, n_features):
    """Write X.npy and y.npy (and the test set) unless they are there."""
    path = work_dir / f"X_{gigabytes:g}GB_{n_features}.npy"
    y_path = path.with_name(path.stem + "_y.npy")
    if path.exists() and y_path.exists():
        return path
    n_rows = int(gigabytes * 1e9) // (4 * n_features)
    rng = np.random.default_rng(0)
    X = np.lib.format.open_memmap(
        path, mode="w+", dtype=np.float32, shape=(n_rows, n_features)
    )
    y = np.empty(n_rows, dtype=np.float32)
    for start in range(0, n_rows, GENERATE_ROWS):
        stop = min(start + GENERATE_ROWS, n_rows)
        block = rng.standard_normal((stop - start, n_features), dtype=np.float32)
        X[start:stop] = block
        y[start:stop] = target(block, rng)
    X.flush()
    del X
    np.save(y_path, y)
    X_test = rng.standard_normal((N_TEST, n_features), dtype=np.float32)
    np.savez(path.with_name(path.stem + "_test.npz"), X=X_test, y=target(X_test, rng))
    return path


def dask_from_npy(path, chunk_bytes=2**23):
    """A Dask array over a .npy file, each chunk read with np.fromfile."""
    import dask
    import dask.array as da

    with open(path, "rb") as file:
        version = np.lib.format.read_magic(file)
        read_header = (
            np.lib.format.read_array_header_1_0
            if version == (1, 0)
            else np.lib.format.read_array_header_2_0
        )
        shape, _, dtype = read_header(file)
        offset = file.tell()
    row_bytes = shape[1] * dtype.itemsize
    chunk_rows = max(1, chunk_bytes // row_bytes)

    def read(start, stop):
        return np.fromfile(
            path,
            dtype=dtype,
            count=(stop - start) * shape[1],
            offset=offset + start * row_bytes,
        ).reshape(stop - start, shape[1])

    chunks = [
        da.from_delayed(
            dask.delayed(read)(start, min(start + chunk_rows, shape[0])),
            shape=(min(start + chunk_rows, shape[0]) - start, shape[1]),
            dtype=dtype,
        )
        for start in range(0, shape[0], chunk_rows)
    ]
    return da.concatenate(chunks)


def fit_in_child(path, kind, epochs):
    """Run in the child: fit on one kind of input, print one JSON line."""
    from skbnn import BayesianMLPRegressor

    test = np.load(path.with_name(path.stem + "_test.npz"))
    y = np.load(path.with_name(path.stem + "_y.npy"))
    if kind == "floor":
        X = test["X"][:10_000]
        y = target(X, np.random.default_rng(1))
    elif kind == "memmap":
        X = np.load(path, mmap_mode="r")
    else:
        X = dask_from_npy(path)
    reg = BayesianMLPRegressor(max_iter=epochs, random_state=0)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg.fit(X, y)
    seconds = time.perf_counter() - start
    print(
        json.dumps(
            {
                "fit_seconds": seconds,
                "rows": int(X.shape[0]),
                "samples_seen": int(reg.t_),
                "test_r2": float(reg.score(test["X"], test["y"])),
            }
        )
    )


def run_child(path, kind, epochs):
    """Fit in a child process under /usr/bin/time -v; return its figures."""
    command = [
        "/usr/bin/time",
        "-v",
        sys.executable,
        __file__,
        "--child",
        kind,
        "--data-file",
        str(path),
        "--epochs",
        str(epochs),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    peak_kb = int(
        re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)[1]
    )
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    figures["peak_rss_mb"] = peak_kb / 1024
    return figures


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--work-dir", type=Path, default=Path("/tmp/skbnn-ooc"))
    parser.add_argument("--gigabytes", type=float, default=5.0)
    parser.add_argument("--n-features", type=int, default=100)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--kinds", nargs="+", default=["floor", "memmap", "dask"])
    parser.add_argument("--child", choices=["floor", "memmap", "dask"])
    parser.add_argument("--data-file", type=Path)
    args = parser.parse_args()
    if args.child:
        fit_in_child(args.data_file, args.child, args.epochs)
        return

    args.work_dir.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    path = generate(args.work_dir, args.gigabytes, args.n_features)
    data_mb = path.stat().st_size / 2**20
    ready = time.perf_counter() - start
    print(f"data: {path} ({data_mb:.0f} MiB), ready in {ready:.0f} s")
    results = {"data_mb": data_mb}
    for kind in args.kinds:
        figures = run_child(path, kind, args.epochs)
        figures["data_over_peak_rss"] = data_mb / figures["peak_rss_mb"]
        results[kind] = figures
        print(
            f"{kind:>6}: peak RSS {figures['peak_rss_mb']:.0f} MiB "
            f"(data / peak {figures['data_over_peak_rss']:.1f}x), "
            f"fit {figures['fit_seconds']:.0f} s for {figures['rows']} rows x "
            f"{args.epochs} epoch(s), "
            f"{figures['rows'] * args.epochs / figures['fit_seconds']:.0f} rows/s, "
            f"test R^2 {figures['test_r2']:.3f}"
        )
    print(json.dumps(results))


if __name__ == "__main__":
    main()
