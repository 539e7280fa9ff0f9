"""The end-to-end tests' helpers are in tests/e2e/helpers.py; their fixtures come from
tests/conftest.py."""
