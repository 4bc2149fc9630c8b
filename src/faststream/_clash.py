"""Refuse to run next to FastStream, the messaging framework that shares the import name.

This library is distributed as `faststream-http`, but imports as `faststream`, which is also the
import name of the distribution `faststream` (FastStream). Installed into one environment, the
two write into one package directory and each overwrites the other's files, so whichever module
Python then finds is a mix of both. Importing this module runs the check (the package imports
it first); it runs on every import of the package and must stay cheap (a few
directory listings, no `importlib.metadata`, which alone costs milliseconds to import).
"""

from __future__ import annotations

import os
import sys

# The other distribution's name, normalised as wheel and egg metadata directories spell it.
_OTHER = "faststream"
_METADATA_SUFFIXES = (".dist-info", ".egg-info")
# Entries FastStream puts in its package directory and this library never has.
_FOREIGN_FILES = ("app.py", "broker", "_internal", "asyncapi", "kafka", "rabbit")


def _is_other_metadata(entry: str) -> bool:
    if not entry.endswith(_METADATA_SUFFIXES):
        return False
    name = entry.rpartition(".")[0].partition("-")[0]
    return name.lower().replace("_", "-").replace(".", "-") == _OTHER


def find_other_distribution(package_dir: str) -> str | None:
    """The path of FastStream's metadata or files visible from here, or None."""
    for name in _FOREIGN_FILES:
        path = os.path.join(package_dir, name)
        if os.path.exists(path):
            return path
    # The standard library's directories hold no third-party metadata: not worth a listing.
    stdlib = os.path.dirname(os.__file__)
    for entry in sys.path:
        directory = entry or os.curdir
        if directory.startswith(stdlib):
            continue
        try:
            names = os.listdir(directory)
        except OSError:  # a zip file, a missing directory, no permission
            continue
        for name in names:
            if name[:10].lower() == _OTHER and _is_other_metadata(name):
                return os.path.abspath(os.path.join(directory, name))
    return None


def check(package_dir: str) -> None:
    """Raise ImportError naming the clash when FastStream shares this environment."""
    found = find_other_distribution(package_dir)
    if found is None:
        return
    raise ImportError(
        "faststream-http (the HTTP client, imported as 'faststream') cannot run here: the "
        "distribution 'faststream' (FastStream, the messaging framework) is installed in the "
        f"same environment ({found}). Both use the import name 'faststream', so their files "
        "overwrite each other. Install them into two separate virtual environments: "
        "`pip uninstall faststream faststream-http` here, then `pip install faststream-http` "
        "in one virtualenv and `pip install faststream` in another."
    )


check(os.path.dirname(os.path.abspath(__file__)))
