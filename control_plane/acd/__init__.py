"""The pure, deterministic skills-based ACD core: events in, commands out.

Nothing in this package does I/O, reads a clock or uses unseeded randomness; see `engine`.
"""

from control_plane.acd.engine import Engine, Outcome

__all__ = ["Engine", "Outcome"]
