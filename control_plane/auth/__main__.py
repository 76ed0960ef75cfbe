"""``python -m control_plane.auth``: see :mod:`control_plane.auth.cli`."""

import sys

from control_plane.auth.cli import main

sys.exit(main())
