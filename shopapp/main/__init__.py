"""Site-wide pages: home, health checks, the staff mail outbox, the OpenAPI document."""
