"""Routing policies: caller priority, skill relaxation and SLA risk, overflow, seat health."""
