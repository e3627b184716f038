"""Regression tests for issue 12: each attack from the security review, run against a real server."""
