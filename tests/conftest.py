"""Shared test configuration.

Hypothesis: the "ci" profile (derandomized, no deadline: 2 CPU cores, timings vary) is
selected by default; HYPOTHESIS_PROFILE=dev gives random exploration with more examples.
"""

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", derandomize=True, deadline=None, max_examples=40, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "dev", deadline=None, max_examples=300, suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
