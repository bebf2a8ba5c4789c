"""``python -m nodetls``: see ``nodetls.cli``."""

from nodetls.cli import main

raise SystemExit(main())
