"""The shipped property models (data/checkpoints/prop-hform.pt, prop-ms.pt) through the public API, on real MP-20 test crystals.

Quick (a few seconds): loads both checkpoints with weights_only=True, predicts the kit's MP-20 test crystals and checks
that the test MAE recorded when the models were shipped is reproduced and beats ridge regression on composition.
"""
import numpy as np
import pytest
import torch

from diffcrysgen.data import checkpoint_split, kit_splits
from diffcrysgen.properties import (TARGETS, fit_baselines, load_property_model, predict_table, property_model_path,
                                    read_property_checkpoint, regression_metrics)

@pytest.fixture(scope="module")
def splits():
    return kit_splits()

@pytest.mark.parametrize("target", sorted(TARGETS))
def test_shipped_model_beats_baseline(splits, target):
    path = property_model_path(target); ck = torch.load(path, weights_only=True)
    test = splits["test"]; col = TARGETS[target][0]; test = test[test[col].notna()]
    pred = predict_table(test, models={target: load_property_model(target, device="cpu")})[f"{target}_pred"].to_numpy()
    assert np.isfinite(pred).all(), f"{target}: {(~np.isfinite(pred)).sum()} MP-20 test crystals without a prediction"
    cnn = regression_metrics(test[col], pred)
    assert cnn["mae"] == pytest.approx(ck["metrics"]["test"]["CNN"]["all"]["mae"], abs=1e-5)
    y = test[col].to_numpy(); n = test.num_sites.to_numpy(int); z = np.concatenate(test.atomic_numbers.values).astype(int)
    train = kit_splits(checkpoint_split(ck))["train"]                                    # the split the model was trained on
    ridge = regression_metrics(y, fit_baselines(train, target)["ridge on composition"](n, z))
    assert cnn["mae"] < ridge["mae"] and cnn["r2"] > ridge["r2"], (target, cnn, ridge)

def test_predict_table_index_and_columns(splits):
    va = splits["val"].iloc[:40].set_index(np.arange(40) + 1000)
    out = predict_table(va)
    assert list(out.columns) == ["hform_pred", "ms_pred"] and out.index.equals(va.index)
    assert (out.ms_pred >= 0).all()

def test_foreign_checkpoint_fails_with_one_line():
    with pytest.raises(ValueError, match="not a property model"):
        read_property_checkpoint(property_model_path("hform").parent / "mp20-edm.pt")
