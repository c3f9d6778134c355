"""Shared pytest configuration: the ``--device`` option and data-home fixtures."""

import os
from pathlib import Path

import pytest
import torch
from hypothesis import settings
from threadpoolctl import threadpool_limits


# property tests draw the same examples on every run (no flaky CI), and
# write no example database into the working tree
settings.register_profile("skrobustad", derandomize=True, database=None)
settings.load_profile("skrobustad")


def pytest_addoption(parser):
    parser.addoption(
        "--device",
        action="store",
        default="cpu",
        help="torch device the estimators are tested on (e.g. 'cpu', 'cuda').",
    )
    parser.addoption(
        "--smoke",
        action="store_true",
        default=False,
        help="run the slow reproductions in a bounded smoke form (fewer seeds, "
        "datasets and epochs), as CI does.",
    )


@pytest.fixture(scope="session")
def device(request):
    """The device every estimator in the suite is built with."""
    return request.config.getoption("--device")


@pytest.fixture(scope="session")
def smoke(request):
    """True when slow reproductions should run in their bounded smoke form."""
    return request.config.getoption("--smoke")


def _data_home():
    env = os.environ.get("SKROBUSTAD_DATA_HOME")
    candidates = [Path(env)] if env else []
    candidates.append(Path(__file__).resolve().parents[2] / "shared" / "data")
    for path in candidates:
        if (path / "adbench").is_dir():
            return path
    return None


@pytest.fixture(scope="session")
def data_home():
    """The ADBench data home, or skip the test when it is missing."""
    path = _data_home()
    if path is None:
        pytest.skip("ADBench data home not found (set SKROBUSTAD_DATA_HOME)")
    return path


@pytest.fixture(scope="session", autouse=True)
def _one_thread():
    """Run torch and BLAS at one thread, as the benchmark runner does.

    The test networks are tiny: extra threads only spin, and on a busy
    2-core machine torch's default (one thread per core) oversubscribed the
    cores and made the suite many times slower.
    """
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    with threadpool_limits(limits=1):
        yield
    torch.set_num_threads(previous)
