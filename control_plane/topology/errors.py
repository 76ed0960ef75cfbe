"""The one error of the topology package (its own module: the parts of the model import it)."""

from __future__ import annotations


class TopologyError(ValueError):
    """The topology description is inconsistent; the message names the node and field."""
