"""Helpers shared by tests (conftest files hold fixtures only)."""
