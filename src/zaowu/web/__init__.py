"""Web studio (served by ``zaowu serve`` at /); a thin client of the HTTP API."""
