"""(b) 2, on the data set of (b) 3: both losses and their Hessians' eigenvalues over a grid of
(theta_0, theta_1) around the two gradient-descent paths."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .numerics import (
    bce_curvature, bce_per_sample, hessian_eigenvalues, l2_curvature, l2_per_sample,
)

GRID = 121         # landscape resolution per axis


@dataclass(frozen=True)
class Landscape:
    theta0: np.ndarray         # (G,) grid axis
    theta1: np.ndarray         # (G,)
    l2: np.ndarray             # (G, G): [row = theta1, column = theta0]
    bce: np.ndarray            # L_bce / m
    l2_min_eig: np.ndarray     # smallest Hessian eigenvalue of L2 at each grid point
    l2_max_eig: np.ndarray     # largest
    bce_min_eig: np.ndarray    # smallest of L_bce / m
    bce_min_eig_min: float     # its minimum over the grid
    l2_worst_theta: np.ndarray # the grid point where L2's smallest eigenvalue is most negative
    l2_worst_eig: float
    negative_eig_share: float       # share of grid points where L2's Hessian has a negative eigenvalue:
    indefinite_share: float         # one negative, one positive
    negative_definite_share: float  # both negative (L2 locally concave)
    l2_eig_init: np.ndarray    # L2's Hessian eigenvalues at theta_init, ascending
    bce_eig_init: np.ndarray
    has_nonconvex_region: bool       # negative_eig_share > 0: the figure hatches it
    has_nonconvex_boundary: bool     # 0 < share < 1: the zero contour of l2_min_eig crosses the grid
    has_indefinite_region: bool
    has_negative_definite_region: bool
    init_negative_definite: bool
    init_indefinite: bool
    init_positive_semidefinite: bool
    l2_worst_is_negative: bool
    bce_positive_definite_on_grid: bool


def landscape(x1: np.ndarray, y1: np.ndarray, points: np.ndarray, theta_init: np.ndarray) -> Landscape:
    """Both losses on a grid around `points` (the initialisation and both paths)."""
    lo, hi = points.min(axis=0), points.max(axis=0)
    centre, half = (lo + hi) / 2, 0.575 * float((hi - lo).max()) + 0.75   # square: both axes on one scale
    theta0 = np.linspace(centre[0] - half, centre[0] + half, GRID)
    theta1 = np.linspace(centre[1] - half, centre[1] + half, GRID)
    T0, T1 = np.meshgrid(theta0, theta1)
    zs = T0[..., None] + T1[..., None] * x1
    l2_min, l2_max = hessian_eigenvalues(l2_curvature, T0, T1, x1, y1)
    bce_min, _ = hessian_eigenvalues(bce_curvature, T0, T1, x1, y1)
    worst = np.unravel_index(np.argmin(l2_min), l2_min.shape)
    init0, init1 = np.array([theta_init[0]]), np.array([theta_init[1]])
    l2_init = np.array([e[0] for e in hessian_eigenvalues(l2_curvature, init0, init1, x1, y1)])
    bce_init = np.array([e[0] for e in hessian_eigenvalues(bce_curvature, init0, init1, x1, y1)])
    negative = l2_min < 0
    indefinite, negative_definite = negative & (l2_max > 0), l2_max < 0
    share = float(np.mean(negative))
    return Landscape(
        theta0=theta0, theta1=theta1,
        l2=l2_per_sample(zs, y1).mean(-1), bce=bce_per_sample(zs, y1).mean(-1),
        l2_min_eig=l2_min, l2_max_eig=l2_max, bce_min_eig=bce_min, bce_min_eig_min=float(bce_min.min()),
        l2_worst_theta=np.array([T0[worst], T1[worst]]), l2_worst_eig=float(l2_min[worst]),
        negative_eig_share=share, indefinite_share=float(np.mean(indefinite)),
        negative_definite_share=float(np.mean(negative_definite)),
        l2_eig_init=l2_init, bce_eig_init=bce_init,
        has_nonconvex_region=bool(negative.any()), has_nonconvex_boundary=0 < share < 1,
        has_indefinite_region=bool(indefinite.any()), has_negative_definite_region=bool(negative_definite.any()),
        init_negative_definite=bool(l2_init[1] < 0), init_indefinite=bool(l2_init[0] < 0 < l2_init[1]),
        init_positive_semidefinite=bool(l2_init[0] >= 0),
        l2_worst_is_negative=bool(l2_min[worst] < 0),
        bce_positive_definite_on_grid=bool(bce_min.min() > 0),
    )
