"""Training on a dask array block by block and scoring it blockwise (docs: large_data)."""

import numpy as np
import pytest

from skrobustad import AutoEncoder, DeepSVDD

da = pytest.importorskip("dask.array")


@pytest.mark.parametrize("cls", [AutoEncoder, DeepSVDD], ids=["AutoEncoder", "DeepSVDD"])
def test_blockwise_partial_fit_and_scoring_of_a_dask_array(cls):
    rng = np.random.RandomState(0)
    X_np = np.r_[rng.normal(size=(900, 4)), rng.normal(loc=6.0, size=(20, 4))]
    X_np = X_np[rng.permutation(len(X_np))]
    X = da.from_array(X_np, chunks=(230, 4))
    params = dict(hidden_dims=(8, 2), batch_size=64, random_state=0, device="cpu")
    est = cls(**params)
    for block in X.to_delayed().ravel():
        est.partial_fit(block.compute())
    scores = X.map_blocks(est.score_samples, drop_axis=1, dtype=float)
    assert isinstance(scores, da.Array)
    np.testing.assert_allclose(scores.compute(), est.score_samples(X_np), rtol=1e-6)
    # the same passes over the same numpy chunks give the same model
    ref = cls(**params)
    for chunk in np.array_split(X_np, 4):
        ref.partial_fit(chunk)
    np.testing.assert_array_equal(ref.score_samples(X_np), est.score_samples(X_np))
    assert est.n_iter_ == 4
