"""``python -m control_plane`` is the ``callcenter`` command."""

from control_plane.runtime.cli import main

main()
