"""Directives and the outbox: audiences, deliveries, acknowledgements, chases."""
