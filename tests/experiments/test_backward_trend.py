"""core.diagnose.backward_trend: gradients travel from the last layer to the first."""


import numpy as np

from core.experiments import diagnose



def test_direction():
    rising = np.array([-9.0, -6.0, -3.0])           # small at layer 1: vanishing on the way back
    assert diagnose.backward_trend(rising).kind == "vanishing"
    assert diagnose.backward_trend(rising[::-1]).kind == "exploding"
    assert diagnose.backward_trend(np.array([0.1, 0.0, 0.3])).kind == "stable"
    assert diagnose.backward_trend(rising, overflow_layer=1).kind == "overflow"
    assert diagnose.backward_trend(rising).decades == -6.0
