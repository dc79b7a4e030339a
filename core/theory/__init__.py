"""Mean-field theory of signal propagation (Poole et al. 2016, Schoenholz et al. 2017).

Weights W ~ N(0, sigma_w2 / fan_in), biases ~ N(0, sigma_b2). A wide network's
pre-activations are Gaussian with variance q, which obeys the *length map*

    q_{l+1} = sigma_w2 * E_z[phi(sqrt(q_l) z)^2] + sigma_b2,     z ~ N(0, 1)

starting from q_1 = sigma_w2 * q0 + sigma_b2, where q0 = E[x^2] of the network's input
(1 for the app's N(0, 1) input, 1/3 for U[0, 1]). Gradients are multiplied, layer by
layer, by

    chi1 = sigma_w2 * E_z[phi'(sqrt(q) z)^2]       (< 1 ordered: vanish, > 1 chaotic: explode).

One module per concern, each formula beside the paper it comes from:

- `quadrature`: Gaussian expectations and each activation's moments, exact in log10;
- `length_map`: the length map, its fixed point q* and its attractors;
- `criticality`: chi1, the edge of chaos (critical sigma_w2) and the depth scales;
- `correlation`: the correlation map of two inputs, c*, chi_c, xi_c and xi_q;
- `fluctuations`: the finite-width spread of the output's size over draws;
- `isometry`: the moments of the input-output Jacobian's spectrum (dynamical isometry);
- `prediction`: the per-layer prediction for a whole NetworkSpec (residual streams, norms).

>>> from core import theory
>>> round(theory.critical_sigma_w2("tanh", 0.05), 2)
1.76
"""

from .correlation import (DepthScales, c_star, correlation_map, correlation_step,
                          correlation_trajectory, cross_moment, depth_scales, length_map_slope)
from .criticality import chi1, critical_sigma_w2, gradient_depth_scale, xi_c
from .fluctuations import LogNormLaw, log_norm_law
from .isometry import SpectrumMoments, jacobian_moments, slope_moments
from .length_map import REL_TOL, attractors, fixed_point, length_map
from .prediction import (MAX_SCALE_GAIN, MIN_GAUSSIAN_SET, Prediction, batch_scale_gain,
                         input_q0, norm_set_size, predict)
from .quadrature import (Moments, bivariate_expectation, gaussian_expectation, moments,
                         shifted_moments, shifted_moments_log, slope0_squared)

__all__ = ["MAX_SCALE_GAIN", "MIN_GAUSSIAN_SET", "REL_TOL", "DepthScales", "LogNormLaw", "Moments",
           "Prediction", "SpectrumMoments", "attractors", "batch_scale_gain",
           "bivariate_expectation", "c_star", "chi1", "correlation_map", "correlation_step",
           "correlation_trajectory", "critical_sigma_w2", "cross_moment", "depth_scales",
           "fixed_point", "gaussian_expectation", "gradient_depth_scale", "input_q0",
           "jacobian_moments", "length_map", "length_map_slope", "log_norm_law", "moments",
           "norm_set_size", "predict", "shifted_moments", "shifted_moments_log", "slope0_squared",
           "slope_moments", "xi_c"]
