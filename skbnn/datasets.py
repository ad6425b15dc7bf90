"""Readers for the data sets that the examples and benchmarks use.

Nothing here downloads: MNIST's reader takes the folder that holds its files;
two small real tables come with the package; images unlike a data set's are
made from it.
"""

import gzip
from importlib import resources
from pathlib import Path

import numpy as np

MNIST_FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}

# IDX type codes (LeCun's format description) that MNIST uses.
_IDX_UNSIGNED_BYTE = 0x08


def read_idx(path):
    """Read an IDX file of unsigned bytes, gzip-compressed or not.

    Parameters
    ----------
    path : str or path-like
        The file.

    Returns
    -------
    array : ndarray of uint8
        Shaped as the file's header says.

    Raises
    ------
    ValueError
        If the file is not an IDX file of unsigned bytes.
    """
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        data = f.read()
    if len(data) < 4 or data[:2] != b"\x00\x00" or data[2] != _IDX_UNSIGNED_BYTE:
        raise ValueError(f"{path} is not an IDX file of unsigned bytes.")
    n_dims = data[3]
    shape = tuple(
        int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(n_dims)
    )
    offset = 4 + 4 * n_dims
    array = np.frombuffer(data, dtype=np.uint8, offset=offset)
    if array.size != int(np.prod(shape)):
        raise ValueError(
            f"{path} holds {array.size} values, its header announces {shape}."
        )
    return array.reshape(shape)


def load_mnist(data_dir, subset="train"):
    """Load MNIST from the original IDX gzip files.

    Parameters
    ----------
    data_dir : str or path-like
        Folder holding ``train-images-idx3-ubyte.gz``,
        ``train-labels-idx1-ubyte.gz``, ``t10k-images-idx3-ubyte.gz`` and
        ``t10k-labels-idx1-ubyte.gz``.
    subset : {"train", "test"}, default="train"
        The 60,000 training or the 10,000 test images.

    Returns
    -------
    X : ndarray of shape (n_samples, 784), dtype float32
        Pixel intensities scaled to [0, 1], one flattened 28x28 image a row.
    y : ndarray of shape (n_samples,), dtype int64
        Digit labels 0-9.

    Raises
    ------
    FileNotFoundError
        If a file is missing; the message names it and says where to get it.
    """
    if subset not in MNIST_FILES:
        raise ValueError(f"subset must be 'train' or 'test', got {subset!r}.")
    paths = [Path(data_dir) / name for name in MNIST_FILES[subset]]
    for path in paths:
        if not path.is_file():
            raise FileNotFoundError(
                f"MNIST file {path} not found. Put the four original IDX gzip "
                "files of MNIST in that folder, or load MNIST with "
                "sklearn.datasets.fetch_openml('mnist_784') where you have a "
                "network."
            )
    images, labels = (read_idx(path) for path in paths)
    X = images.reshape(images.shape[0], -1).astype(np.float32) / np.float32(255)
    return X, labels.astype(np.int64)


def out_of_distribution_images(X, random_state=0):
    """Images unlike ``X`` to test out-of-distribution detection on.

    Three sets, each shaped like ``X`` (rows of pixels in [0, 1], as
    :func:`load_mnist` returns them): uniform noise, the rows of ``X`` under
    one fixed permutation of the pixels (same ink, no strokes), and ``1 - X``
    (inverted images). A model's uncertainty should tell each of them from
    ``X`` itself; the examples and benchmarks report the AUROC of doing so.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_pixels)
        Images scaled to [0, 1], one flattened image a row.
    random_state : int, default=0
        Seed of the noise and of the permutation.

    Returns
    -------
    sets : dict of str to ndarray of shape (n_samples, n_pixels)
        ``"uniform_noise"``, ``"permuted"`` and ``"inverted"``, in ``X``'s
        dtype.
    """
    X = np.asarray(X)
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D, rows of pixels; got shape {X.shape}.")
    rng = np.random.default_rng(random_state)
    permutation = rng.permutation(X.shape[1])
    return {
        "uniform_noise": rng.uniform(size=X.shape).astype(X.dtype),
        "permuted": X[:, permutation],
        "inverted": 1 - X,
    }


def _bundled_table(name, target, return_X_y):
    import pandas as pd

    with resources.files("skbnn").joinpath(f"_data/{name}.csv.gz").open("rb") as f:
        table = pd.read_csv(f, compression="gzip")
    if return_X_y:
        return table.drop(columns=target), table[target]
    return table


def load_taxi(*, return_X_y=False):
    """Load the Chicago taxi trips table, whose target is whether the rider tipped.

    10,000 trips with their ``tip`` (``"yes"``/``"no"``, 92% yes),
    ``distance`` (miles), ``company``, ``local`` (``"yes"``/``"no"``),
    ``dow``, ``month`` (text categories) and ``hour``. From the R package
    ``modeldata`` (Max Kuhn, MIT licence), bundled with skbnn.

    Parameters
    ----------
    return_X_y : bool, default=False
        Return the features and the target apart.

    Returns
    -------
    table : pandas.DataFrame of shape (10000, 7)
        The whole table; or, with ``return_X_y``:
    X : pandas.DataFrame of shape (10000, 6)
    y : pandas.Series of shape (10000,)
        ``tip``.
    """
    return _bundled_table("taxi", "tip", return_X_y)


def load_ames(*, return_X_y=False):
    """Load the Ames housing table, whose target is each house's sale price.

    2,930 house sales in Ames, Iowa, 2006-2010 (De Cock, 2011), with 73
    features: 40 text categories (``Mas_Vnr_Type`` and ``Misc_Feature``
    have missing entries: the source's ``"None"``, which pandas reads as
    missing), areas, counts, years, latitude and longitude; the target
    ``Sale_Price`` is in US dollars and skewed. From
    the R package ``modeldata`` (Max Kuhn, MIT licence), bundled with skbnn.

    Parameters
    ----------
    return_X_y : bool, default=False
        Return the features and the target apart.

    Returns
    -------
    table : pandas.DataFrame of shape (2930, 74)
        The whole table; or, with ``return_X_y``:
    X : pandas.DataFrame of shape (2930, 73)
    y : pandas.Series of shape (2930,)
        ``Sale_Price``.
    """
    return _bundled_table("ames", "Sale_Price", return_X_y)
