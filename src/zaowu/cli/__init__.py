"""Command-line delivery: ``zaowu`` (see main.py)."""
