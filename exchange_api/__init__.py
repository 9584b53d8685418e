"""The HTTP API (and, later, the web portal) over the platform's services."""
