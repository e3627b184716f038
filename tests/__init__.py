"""zaowu's test suite: real servers, real models, the real database (see conftest.py)."""
