"""Shared pytest setup. The testbed fixture lives in tests/testbed/pytest_plugin.py."""
pytest_plugins = ["tests.testbed.pytest_plugin"]
