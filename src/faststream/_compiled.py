"""Whether the compiled streaming core is in use, for users and bug reports."""

from __future__ import annotations

import _cstream


def compiled() -> bool:
    """Return True when the Cython-compiled core runs, False when its pure-Python twins do.

    The twins behave the same and are selected on interpreters other than CPython, where no
    compiled module was built for this platform, or with ``FASTSTREAM_NO_EXTENSIONS=1``; only
    the speed differs. The choice is made once, when faststream is first imported.
    """
    return _cstream.IMPLEMENTATION == "c"
