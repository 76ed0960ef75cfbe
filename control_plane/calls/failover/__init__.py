"""Zero-loss controller failover: call sessions and the ACD journal kept in a shared store,
one active controller per center at a time (a lease), a standby that takes over."""
