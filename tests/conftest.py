"""Test-suite settings shared by every test module."""

import os

from hypothesis import settings

# In CI (CI=true) the property tests draw a fixed sequence of examples, so a submission passes
# or fails on its own merits; on a developer's machine they explore new random examples on
# every run (and hypothesis replays any failure it found from its local database).
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
