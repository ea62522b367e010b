"""Shared pytest setup. The testbed fixture lives in tests/testbed/pytest_plugin.py."""
import os

pytest_plugins = ["tests.testbed.pytest_plugin"]

# The suite starts thousands of short Go CLIs (kubectl above all): with GOGC=400 they collect garbage less
# often: 5-20% less CPU per kubectl run by command (kustomize ~5% in benchmarks/tool_runs.py; get and
# api-resources against a testbed 12-20%), for memory a test machine has to spare. Behaviour is the same;
# a GOGC set by whoever runs the tests wins. Testbed components start with their own minimal environment and
# are not affected.
os.environ.setdefault("GOGC", "400")
