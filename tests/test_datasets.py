"""Loaders and generators of skrobustad.datasets (local files only, no network)."""

import io
import itertools
from pathlib import Path

import numpy as np
import pytest

from skrobustad.datasets import (
    ADBENCH_URL,
    _adbench,
    adbench_short_name,
    find_adbench,
    get_data_home,
    list_adbench,
    load_adbench,
    load_breast_cancer_anomaly,
    load_digits_anomaly,
    load_embedded,
    load_wine_anomaly,
    make_contaminated_sample,
    make_contaminated_split,
    make_contamination_levels,
    make_labeled_anomaly_split,
    make_polluted_split,
    mask_labels,
)


def _write_npz(path, n=40, n_features=3, n_anomalies=4, seed=0, **extra):
    rng = np.random.RandomState(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    y = np.r_[np.zeros(n - n_anomalies, dtype=int), np.ones(n_anomalies, dtype=int)]
    arrays = {"X": rng.normal(size=(n, n_features)), "y": y, **extra}
    np.savez(path, **arrays)
    return arrays


@pytest.fixture
def fake_home(tmp_path):
    """A data home with two Classical files and one CV file."""
    root = tmp_path / "adbench"
    _write_npz(root / "Classical" / "6_cardio.npz", n=50, n_anomalies=5)
    _write_npz(root / "Classical" / "18_Ionosphere.npz", n=30, n_anomalies=10, seed=1)
    _write_npz(root / "CV_by_ResNet18" / "MVTec-AD_bottle.npz", n=20, n_features=8)
    return tmp_path


# ------------------------------------------------------------------ data home
def test_data_home_precedence(tmp_path, monkeypatch):
    monkeypatch.setenv("SKROBUSTAD_DATA_HOME", str(tmp_path / "env"))
    assert get_data_home(tmp_path / "arg") == tmp_path / "arg"
    assert get_data_home() == tmp_path / "env"
    monkeypatch.delenv("SKROBUSTAD_DATA_HOME")
    assert get_data_home() == Path("~/skrobustad_data").expanduser()
    assert not (tmp_path / "arg").exists()  # reading never creates folders
    assert get_data_home(tmp_path, return_origin=True) == (tmp_path, "the data_home argument")
    monkeypatch.setenv("SKROBUSTAD_DATA_HOME", str(tmp_path / "env"))
    assert get_data_home(return_origin=True)[1] == "$SKROBUSTAD_DATA_HOME"


# -------------------------------------------------------------------- ADBench
def test_list_adbench(fake_home, tmp_path):
    assert list_adbench(fake_home) == ["6_cardio", "18_Ionosphere", "MVTec-AD_bottle"]
    assert list_adbench(fake_home, collection="Classical") == ["6_cardio", "18_Ionosphere"]
    assert list_adbench(tmp_path / "missing") == []
    with pytest.raises(ValueError, match="Unknown ADBench collection"):
        list_adbench(fake_home, collection="Tabular")
    where = r"looked for <collection>/\*\.npz files in .*missing"
    with pytest.raises(FileNotFoundError, match=where):
        list_adbench(tmp_path / "missing", require=True)
    assert list_adbench(fake_home, require=True)


def test_find_adbench_and_short_names(fake_home, tmp_path):
    cardio = fake_home / "adbench" / "Classical" / "6_cardio.npz"
    assert find_adbench("cardio", fake_home) == cardio
    assert find_adbench("Classical/6_cardio", fake_home) == cardio
    assert adbench_short_name("18_Ionosphere") == "ionosphere"
    with pytest.raises(ValueError, match="Unknown ADBench dataset 'iris'.*6_cardio"):
        find_adbench("iris", fake_home)
    with pytest.raises(FileNotFoundError, match="No ADBench data found"):
        find_adbench("cardio", tmp_path / "missing")


@pytest.mark.parametrize("name", ["6_cardio", "cardio", "CARDIO", "Classical/cardio"])
def test_load_adbench_names(fake_home, name):
    data = load_adbench(name, data_home=fake_home)
    assert data.name == "6_cardio" and data.collection == "Classical"
    assert data.data.shape == (50, 3) and data.data.dtype == np.float64
    assert data.target.sum() == 5 and "target 1 = anomaly" in data.DESCR
    X, y = load_adbench(name, data_home=fake_home, return_X_y=True)
    np.testing.assert_array_equal(X, data.data)
    np.testing.assert_array_equal(y, data.target)


def test_load_adbench_env_and_lowercase(fake_home, monkeypatch):
    monkeypatch.setenv("SKROBUSTAD_DATA_HOME", str(fake_home))
    assert load_adbench("ionosphere").data.shape == (30, 3)
    assert load_adbench("MVTec-AD_bottle").collection == "CV_by_ResNet18"


def test_load_adbench_unknown_name_lists_found(fake_home):
    with pytest.raises(ValueError, match="Unknown ADBench dataset 'satellite'") as info:
        load_adbench("satellite", data_home=fake_home)
    assert "6_cardio, 18_Ionosphere, MVTec-AD_bottle" in str(info.value)


def test_load_adbench_missing_home_says_where(tmp_path, monkeypatch):
    monkeypatch.delenv("SKROBUSTAD_DATA_HOME", raising=False)
    with pytest.raises(FileNotFoundError) as info:
        load_adbench("cardio", data_home=tmp_path / "nowhere")
    message = str(info.value)
    assert str(tmp_path / "nowhere" / "adbench") in message
    assert "SKROBUSTAD_DATA_HOME" in message and "download_if_missing" in message


def test_load_adbench_ambiguous_and_invalid_files(fake_home):
    _write_npz(fake_home / "adbench" / "CV_by_ViT" / "MVTec-AD_bottle.npz")
    with pytest.raises(ValueError, match="ambiguous"):
        load_adbench("MVTec-AD_bottle", data_home=fake_home)
    assert load_adbench("CV_by_ViT/MVTec-AD_bottle", data_home=fake_home).collection == "CV_by_ViT"
    assert "CV_by_ViT/MVTec-AD_bottle" in list_adbench(fake_home)

    np.savez(fake_home / "adbench" / "Classical" / "1_bad.npz", X=np.zeros((3, 2)))
    with pytest.raises(ValueError, match="expected arrays 'X' and 'y'"):
        load_adbench("bad", data_home=fake_home)
    np.savez(fake_home / "adbench" / "Classical" / "2_multi.npz", X=np.zeros((3, 2)), y=[0, 1, 2])
    with pytest.raises(ValueError, match="1 \\(anomaly\\) and 0 \\(normal\\)"):
        load_adbench("multi", data_home=fake_home)


def _npz_bytes(**arrays):
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def _npy_bytes(array):
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


_GOOD = _npz_bytes(X=np.ones((4, 2)), y=np.array([0, 0, 0, 1]))


def _corrupted(data):
    """``data`` with bytes of the first member's contents zeroed (its CRC fails)."""
    start = data.index(b"\x93NUMPY") + 140
    return data[:start] + bytes(8) + data[start + 8 :]


@pytest.mark.parametrize(
    "content, reason",
    [
        (b"", "the file is empty"),
        (_GOOD[: len(_GOOD) // 2], "the archive is truncated or corrupted"),
        (_corrupted(_GOOD), "the archive is truncated or corrupted (Bad CRC-32"),
        (b"<html>404: Not Found</html>", "it is not an .npz (zip) archive"),
        (_npy_bytes(np.ones((4, 2))), "it holds a single .npy array, not an .npz archive"),
        (_npz_bytes(X=np.array([[1, "a"]], dtype=object), y=[0]), "numpy cannot load"),
        (_npz_bytes(X=np.array([["a", "b"]]), y=[0]), "X must hold real numbers, found dtype <U1"),
        (_npz_bytes(X=np.ones((2, 2)) * 1j, y=[0, 1]), "X must hold real numbers"),
        (_npz_bytes(X=np.array([[np.nan, 1.0]]), y=[0]), "X holds 1 non-finite value(s)"),
        (_npz_bytes(X=np.ones((0, 2)), y=np.zeros(0)), "X holds no samples"),
        (_npz_bytes(X=np.ones((2, 2)), y=[0.0, np.nan]), "y must hold 1 (anomaly) and 0"),
    ],
    ids=["empty", "truncated", "bad-crc", "html", "npy", "objects", "strings", "complex",
         "nan", "no-rows", "nan-label"],
)  # fmt: skip
def test_load_adbench_broken_file_names_it(content, reason, tmp_path):
    """A broken file gives one line naming the file and what is wrong with it."""
    path = tmp_path / "adbench" / "Classical" / "6_cardio.npz"
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    with pytest.raises(ValueError) as info:
        load_adbench("cardio", data_home=tmp_path)
    message = str(info.value)
    assert str(path) in message and reason in message and "\n" not in message


def test_load_adbench_folder_named_like_a_file(tmp_path):
    path = tmp_path / "adbench" / "Classical" / "6_cardio.npz"
    path.mkdir(parents=True)
    with pytest.raises(ValueError, match="it is a folder, not a file") as info:
        load_adbench("cardio", data_home=tmp_path)
    assert str(path) in str(info.value)


def test_download_if_missing_uses_adbench_url(tmp_path, monkeypatch):
    """The download path, with urlopen replaced: no network is touched."""
    buffer = io.BytesIO()
    np.savez(buffer, X=np.ones((4, 2)), y=np.array([0, 0, 0, 1]))
    requested = []

    def fake_urlopen(url, timeout):
        requested.append(url)
        return io.BytesIO(buffer.getvalue())

    monkeypatch.setattr(_adbench.urllib.request, "urlopen", fake_urlopen)
    with pytest.raises(FileNotFoundError):
        load_adbench("thyroid", data_home=tmp_path)
    assert requested == []
    X, y = load_adbench("thyroid", data_home=tmp_path, return_X_y=True, download_if_missing=True)
    assert requested == [ADBENCH_URL.format(collection="Classical", name="38_thyroid")]
    assert (tmp_path / "adbench" / "Classical" / "38_thyroid.npz").is_file()
    assert X.shape == (4, 2) and y.tolist() == [0, 0, 0, 1]
    assert not list((tmp_path / "adbench" / "Classical").glob("*.part"))
    with pytest.raises(ValueError, match="not one of ADBench's Classical datasets"):
        load_adbench("nonsense", data_home=tmp_path, download_if_missing=True)


@pytest.mark.data
def test_real_adbench_files(data_home):
    names = list_adbench(data_home, collection="Classical")
    assert len(names) >= 20 and "6_cardio" in names
    X, y = load_adbench("cardio", data_home=data_home, return_X_y=True)
    assert X.shape == (1831, 21) and int(y.sum()) == 176
    assert load_adbench("shuttle", data_home=data_home).data.dtype == np.float64


# ------------------------------------------------------------------- embedded
@pytest.mark.parametrize(
    "loader, shape, n_anomalies",
    [
        (load_digits_anomaly, (198, 64), 20),
        (load_breast_cancer_anomaly, (397, 30), 40),
        (load_wine_anomaly, (132, 13), 13),
    ],
)
def test_embedded_tasks(loader, shape, n_anomalies):
    data = loader()
    assert data.data.shape == shape and int(data.target.sum()) == n_anomalies
    assert set(np.unique(data.target)) == {0, 1}
    assert len(data.feature_names) == shape[1]
    X, y = loader(return_X_y=True)
    np.testing.assert_array_equal(X, data.data)  # fixed default seed: a fixed dataset
    X_other, _ = loader(random_state=1, return_X_y=True)
    assert not np.array_equal(X, X_other)


def test_embedded_options():
    X, y = load_digits_anomaly(normal_class=7, contamination=0.2, return_X_y=True)
    assert int((y == 0).sum()) == 179 and int(y.sum()) == round(0.2 * 179 / 0.8)
    _, y = load_breast_cancer_anomaly(contamination=None, return_X_y=True)
    assert y.shape == (569,) and int(y.sum()) == 212
    with pytest.raises(ValueError, match="has only 212"):
        load_breast_cancer_anomaly(contamination=0.5)
    with pytest.raises(ValueError, match="normal_class"):
        load_digits_anomaly(normal_class=10)
    assert load_embedded("embedded:wine").data.shape == (132, 13)
    X, y = load_embedded("digits-classes", return_X_y=True)
    assert X.shape == (1797, 64) and set(np.unique(y)) == set(range(10))
    with pytest.raises(ValueError, match="available: breast_cancer, digits"):
        load_embedded("iris")


# ----------------------------------------------------------------- generators
@pytest.fixture(scope="module")
def cancer():
    return load_breast_cancer_anomaly(contamination=None, return_X_y=True)  # 357 + 212


def test_contaminated_split_natural(cancer):
    X, y = cancer
    X_train, X_test, y_train, y_test = make_contaminated_split(X, y, random_state=0)
    assert len(y_test) == 171 and len(y_train) == 398  # 30% / 70%, stratified
    assert int(y_test.sum()) == 64 and int(y_train.sum()) == 148
    assert X_train.shape == (398, 30) and X_test.shape == (171, 30)
    # the rows stay paired with their labels
    rows = {tuple(row): label for row, label in zip(X, y)}
    assert all(rows[tuple(row)] == label for row, label in zip(X_test, y_test))


@pytest.mark.parametrize(
    "contamination, n_normal, n_anomalous",
    [
        (0.0, 250, 0),  # clean training part
        (0.05, 250, 13),  # round(0.05 * 250 / 0.95) = 13 anomalies, every normal
        (0.5, 148, 148),  # above the natural 37%: every anomaly, fewer normals
    ],
)
def test_contaminated_split_exact_counts(cancer, contamination, n_normal, n_anomalous):
    X, y = cancer
    _, _, y_train, y_test = make_contaminated_split(
        X, y, contamination=contamination, random_state=0
    )
    assert int((y_train == 0).sum()) == n_normal and int(y_train.sum()) == n_anomalous
    # the test part does not depend on the training contamination
    _, _, _, y_test_natural = make_contaminated_split(X, y, random_state=0)
    np.testing.assert_array_equal(y_test, y_test_natural)


def test_contaminated_split_cap_and_determinism(cancer):
    X, y = cancer
    a = make_contaminated_split(X, y, max_train_samples=100, contamination=0.1, random_state=3)
    b = make_contaminated_split(X, y, max_train_samples=100, contamination=0.1, random_state=3)
    c = make_contaminated_split(X, y, max_train_samples=100, contamination=0.1, random_state=4)
    for first, second in zip(a, b):
        np.testing.assert_array_equal(first, second)
    assert not np.array_equal(a[0], c[0])
    y_train = a[2]
    assert int((y_train == 0).sum()) == 63  # round(100 * 250/398) normals kept
    assert int(y_train.sum()) == 7  # round(0.1 * 63 / 0.9)
    with pytest.raises(ValueError, match="1 \\(anomaly\\) and 0 \\(normal\\)"):
        make_contaminated_split(X, np.where(y == 1, 1, -1))
    with pytest.raises(ValueError, match="contamination"):
        make_contaminated_split(X, y, contamination=1.0)


def test_contaminated_split_accepts_lists():
    X = [[float(i)] for i in range(20)]
    y = [0] * 16 + [1] * 4
    X_train, X_test, y_train, y_test = make_contaminated_split(X, y, test_size=0.25, random_state=0)
    assert len(X_train) == 15 and len(X_test) == 5 and int(y_test.sum()) == 1


def test_contaminated_sample(cancer):
    X, y = cancer
    X_s, y_s = make_contaminated_sample(X, y, random_state=0)
    np.testing.assert_array_equal(X_s, X)  # nothing asked: the dataset as it is
    X_s, y_s = make_contaminated_sample(X, y, contamination=0.5, max_samples=300, random_state=0)
    n_anomalies = round(300 * 212 / 569)  # the stratified cap, then every anomaly kept
    assert int(y_s.sum()) == n_anomalies and len(y_s) == 2 * n_anomalies
    rows = {tuple(row): label for row, label in zip(X, y)}
    assert all(rows[tuple(row)] == label for row, label in zip(X_s, y_s))


@pytest.mark.parametrize(
    "loader, levels, n_train, n_anomalies",
    [
        (load_breast_cancer_anomaly, (0.05, 0.2), 260, [13, 52]),
        (load_wine_anomaly, (0.2, 0.05), 80, [16, 4]),  # in the order given
        (load_digits_anomaly, (0.0, 0.05, 0.2), 120, [0, 6, 24]),
        (load_wine_anomaly, (0.1,), 90, [9]),
    ],
)
def test_contamination_levels(loader, levels, n_train, n_anomalies):
    X, y = loader(contamination=None, return_X_y=True)
    X_test, y_test, train = make_contamination_levels(X, y, levels=levels, random_state=0)
    assert [len(y_tr) for _, y_tr in train] == [n_train] * len(levels)
    assert [int(y_tr.sum()) for _, y_tr in train] == n_anomalies  # exact levels
    assert [y_tr.mean() for _, y_tr in train] == pytest.approx(levels)
    # 30% of each class in the test part, never in a training part
    assert int(y_test.sum()) == round(0.3 * y.sum())
    assert len(y_test) - int(y_test.sum()) == round(0.3 * (len(y) - y.sum()))
    test_rows = {tuple(row) for row in X_test}
    for X_tr, y_tr in train:
        assert not test_rows & {tuple(row) for row in X_tr}
        rows = {tuple(row): label for row, label in zip(X, y)}
        assert all(rows[tuple(row)] == label for row, label in zip(X_tr, y_tr))
    # nested: the higher level keeps the lower one's anomalies
    by_level = sorted(zip(levels, train), key=lambda item: item[0])
    for (_, (X_low, y_low)), (_, (X_high, y_high)) in itertools.pairwise(by_level):
        assert {tuple(r) for r in X_low[y_low == 1]} <= {tuple(r) for r in X_high[y_high == 1]}


def test_contamination_levels_fixed_test_part_and_errors():
    X, y = load_wine_anomaly(contamination=None, return_X_y=True)
    a = make_contamination_levels(X, y, levels=(0.05, 0.2), random_state=3)
    b = make_contamination_levels(X, y, levels=(0.05, 0.2), random_state=3)
    c = make_contamination_levels(X, y, levels=(0.05,), random_state=3)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[0], c[0])  # the test part ignores the levels
    np.testing.assert_array_equal(a[2][1][0], b[2][1][0])
    capped = make_contamination_levels(X, y, levels=(0.05, 0.2), max_train_samples=50)
    assert [len(y_tr) for _, y_tr in capped[2]] == [40, 40]
    impossible = "levels .* are impossible here: .*83 normal .*41 anomalies"
    with pytest.raises(ValueError, match=impossible):
        make_contamination_levels(X, y, levels=(0.05, 0.99), random_state=0)
    with pytest.raises(ValueError, match="levels must be contaminations in"):
        make_contamination_levels(X, y, levels=(1.0,))


def test_labeled_anomaly_split(cancer):
    X, y = cancer
    X_train, X_test, y_train, y_test = make_labeled_anomaly_split(X, y, random_state=0)
    assert int((y_train == 0).sum()) == round(0.6 * 357) == 214
    assert int(y_train.sum()) == round(0.05 / 0.95 * 214) == 11  # 5% of the training part
    assert len(y_train) + len(y_test) == len(y) and int(y_test.sum()) == 212 - 11
    rows = {tuple(row) for row in X_train}
    assert not rows & {tuple(row) for row in X_test}
    # few anomalies: at most 60% of them in training, and one left for the test
    few = np.r_[np.zeros(100, dtype=int), np.ones(3, dtype=int)]
    _, _, y_train, y_test = make_labeled_anomaly_split(np.c_[np.arange(103.0)], few)
    assert int(y_train.sum()) == 1 and int(y_test.sum()) == 2


def test_polluted_split():
    X, classes = load_embedded("digits-classes", return_X_y=True)
    X_train, X_test, y_train, y_test, y_partial = make_polluted_split(
        X, classes, normal_class=3, anomaly_classes=(4, 5, 6), pollution=0.05, random_state=0
    )
    n_normal = round(0.6 * np.sum(classes == 3))
    assert int((y_partial == 1).sum()) == 15 and int(y_train.sum()) == 15 + round(0.05 * n_normal)
    assert np.all(y_train[y_partial == 1] == 1)  # labeled anomalies are anomalies
    assert int(((y_train == 1) & (y_partial == 0)).sum()) == round(0.05 * n_normal)  # mislabeled
    assert len(X_train) == len(y_train) and len(X_test) == len(y_test)
    assert 0 < y_test.mean() < 1  # unseen anomaly classes are in the test part
    with pytest.raises(ValueError, match="class labels containing 3"):
        make_polluted_split(X, classes == 1, normal_class=3, anomaly_classes=(4,))
    with pytest.raises(ValueError, match="fewer than the 200 labeled"):
        make_polluted_split(
            X, classes, normal_class=3, anomaly_classes=(4,), n_labeled_per_class=200
        )


def test_mask_labels_counts_and_fractions():
    y = np.r_[np.zeros(190, dtype=int), np.ones(10, dtype=int)]
    yp = mask_labels(y, labeled_anomalies=0.2, random_state=0)
    assert yp.dtype == np.int8
    assert [int((yp == c).sum()) for c in (1, 0, -1)] == [2, 2, 196]
    # labeled entries keep their true label
    assert np.all(y[yp == 1] == 1) and np.all(y[yp == 0] == 0)
    yp = mask_labels(y, labeled_anomalies=3, labeled_normals=0.5, random_state=0)
    assert [int((yp == c).sum()) for c in (1, 0)] == [3, 95]
    yp = mask_labels(y, labeled_anomalies=0.01, labeled_normals=0, random_state=0)
    assert [int((yp == c).sum()) for c in (1, 0)] == [1, 0]  # at least one
    yp = mask_labels(y, labeled_anomalies=0, labeled_normals=1.0, random_state=0)
    assert [int((yp == c).sum()) for c in (1, 0)] == [0, 190]


def test_mask_labels_determinism_and_errors():
    y = np.r_[np.zeros(90, dtype=int), np.ones(10, dtype=int)]
    np.testing.assert_array_equal(
        mask_labels(y, labeled_anomalies=5, random_state=1),
        mask_labels(y, labeled_anomalies=5, random_state=1),
    )
    assert not np.array_equal(
        mask_labels(y, labeled_anomalies=5, random_state=1),
        mask_labels(y, labeled_anomalies=5, random_state=2),
    )
    with pytest.raises(ValueError, match="labeled_anomalies=11 asks for more"):
        mask_labels(y, labeled_anomalies=11)
    with pytest.raises(ValueError, match="labeled_normals"):
        mask_labels(y, labeled_normals="all")
    with pytest.raises(ValueError, match="labeled_anomalies"):
        mask_labels(y, labeled_anomalies=1.5)
