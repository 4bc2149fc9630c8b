"""Hypothesis profiles for the whole suite, chosen with the environment variable
HYPOTHESIS_PROFILE: ``ci`` (the default; what CI runs), ``dev`` (a quick local pass) or
``fuzz`` (a long search). Tests take their example counts from the profile."""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("ci", max_examples=500, deadline=None)
settings.register_profile("dev", max_examples=30, deadline=None)
settings.register_profile("fuzz", max_examples=20_000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
