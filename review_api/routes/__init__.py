"""The HTTP API's routers, one module per area of work."""
