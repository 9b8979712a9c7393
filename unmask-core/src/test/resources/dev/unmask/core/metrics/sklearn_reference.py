"""Writes sklearn_reference.json: expected metrics from the reference implementations.

The paper's metric code is Python (scikit-learn + scipy); MetricsReferenceTest checks the Java
twins against what that code gives on these inputs. Regenerate with
    python3 sklearn_reference.py > sklearn_reference.json
Generated with scikit-learn 1.2.1, scipy 1.10.1, numpy 1.24.2 (Debian bookworm packages).
scikit-learn < 1.3 starts the ROC thresholds at max(score) + 1; >= 1.3 at +inf, which is what
Unmask follows, so the first threshold is set to inf here before the paper's interpolation.
"""
import json
import sys

import numpy as np
import sklearn
import scipy
from scipy.interpolate import interp1d
from scipy.optimize import brentq
from sklearn.metrics import roc_curve, roc_auc_score, average_precision_score


def paper_eer(fpr, tpr, thresholds):
    eer = brentq(lambda x: 1. - x - interp1d(fpr, tpr)(x), 0., 1.)
    thresh = interp1d(fpr, thresholds)(eer)
    return float(eer), float(thresh)


def ece15(y, p):
    pred = p >= 0.5
    conf = np.where(pred, p, 1 - p)
    correct = pred == (y == 1)
    edges = np.arange(16) / 15  # k/15 by division, as the Java code computes its bin edges
    total = 0.0
    for lo, hi in zip(edges[:-1], edges[1:]):
        m = (conf > lo) & (conf <= hi)
        if m.any():
            total += abs(correct[m].mean() - conf[m].mean()) * m.mean()
    return float(total)


def case(name, y, s, threshold=0.5):
    y = np.asarray(y, dtype=int)
    s = np.asarray(s, dtype=np.float64)
    fpr, tpr, thr = roc_curve(y, s, drop_intermediate=True)
    thr = thr.astype(np.float64)
    thr[0] = np.inf
    eer, eer_thr = paper_eer(fpr, tpr, thr)
    pred = s >= threshold
    far = float(np.mean(pred[y == 0]))
    frr = float(np.mean(~pred[y == 1]))
    return {
        "name": name,
        "labels": y.tolist(),
        "scores": s.tolist(),
        "threshold": threshold,
        "fpr": fpr.tolist(),
        "tpr": tpr.tolist(),
        "thresholds_after_inf": thr[1:].tolist(),
        "auc": float(roc_auc_score(y, s)),
        "ap": float(average_precision_score(y, s)),
        "eer": eer,
        "eer_threshold": eer_thr if np.isfinite(eer_thr) else None,
        "tpr_at_fpr_1pct": float(np.interp(0.01, fpr, tpr)),
        "ece": ece15(y, s),
        "acc": float(np.mean(pred == (y == 1))),
        "hter": (far + frr) / 2,
    }


rng = np.random.default_rng(20240521)


def draw(n_real, n_fake, decimals=None, a=2.0, b=5.0):
    real = rng.beta(a, b, n_real)
    fake = rng.beta(b, a, n_fake)
    s = np.concatenate([real, fake])
    if decimals is not None:
        s = np.round(s, decimals)
    y = np.concatenate([np.zeros(n_real, int), np.ones(n_fake, int)])
    order = rng.permutation(len(s))
    return y[order], s[order]


cases = [
    case("sklearn roc_curve docstring", [0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]),
    case("tied top group, EER on the first segment", [0, 1, 1, 0], [0.9, 0.9, 0.9, 0.1]),
    case("all scores equal", [0, 1, 0, 1, 1], [0.3] * 5),
    case("perfect separation", [0, 0, 1, 1, 1], [0.1, 0.2, 0.7, 0.8, 0.9]),
    case("ties, 1 decimal", *draw(30, 20, 1)),
    case("ties, 2 decimals", *draw(120, 80, 2)),
    case("continuous", *draw(400, 600)),
    case("imbalanced, 1 decimal", *draw(7, 300, 1, 1.0, 1.5)),
    case("hard, overlapping", *draw(250, 250, 3, 2.0, 2.5), threshold=0.3),
]
json.dump({"generator": f"scikit-learn {sklearn.__version__}, scipy {scipy.__version__}, numpy {np.__version__}",
           "cases": cases}, sys.stdout, indent=None)
sys.stdout.write("\n")
