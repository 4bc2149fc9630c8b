"""Which file a faststream submodule is loaded from: its compiled module or its `.py` source.

Some of faststream's plain-Python modules (the per-request path) are also compiled with Cython
into extension modules that sit beside their `.py` files; Python's import system prefers an
extension module to a source file of the same name. The `.py` file is the source and the pure
twin. This finder, installed by faststream's `__init__` before any other submodule is imported,
loads the `.py` file instead of the extension module when

* ``FASTSTREAM_NO_EXTENSIONS`` is set (not empty, not ``0``) when faststream is first imported:
  the whole library then runs interpreted, the same switch that selects `_cstream`'s twins; or
* the extension module is older than its `.py` file in a tree that was built in place (the
  generated `.c` file lies beside it): an edited source always wins over a stale build, as it
  does for Cython's own rebuild rule. Installed wheels carry no `.c` files, so there the
  compiled module is always used.

`stale()` is that second rule. `compiled_modules()` names the faststream modules that run
compiled in this process.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from importlib.machinery import EXTENSION_SUFFIXES, ExtensionFileLoader, ModuleSpec, PathFinder
from importlib.util import spec_from_file_location
from types import ModuleType

PACKAGE = __name__.rpartition(".")[0]

NO_EXTENSIONS: bool = os.environ.get("FASTSTREAM_NO_EXTENSIONS", "") not in ("", "0")


def stale(extension: str, source: str) -> bool:
    """Whether `extension` is an in-place build older than its `source` (the generated `.c`
    file beside it says the folder is a build tree, not an installed wheel)."""
    generated = source[: -len(".py")] + ".c"
    try:
        return os.path.exists(generated) and os.stat(source).st_mtime > os.stat(extension).st_mtime
    except OSError:
        return False


class SourceFinder:
    """A meta-path finder for faststream's submodules: the path finder's answer, except that an
    extension module with a `.py` twin beside it is replaced by the twin when the switch is set
    or the extension is `stale`. Every other module is left to the rest of `sys.meta_path`."""

    @classmethod
    def find_spec(
        cls,
        fullname: str,
        path: Sequence[str] | None = None,
        target: ModuleType | None = None,
    ) -> ModuleSpec | None:
        if not fullname.startswith(PACKAGE + ".") or path is None:
            return None
        spec = PathFinder.find_spec(fullname, path, target)
        if spec is None or not isinstance(spec.loader, ExtensionFileLoader) or not spec.origin:
            return spec
        extension = spec.origin
        stem = next((extension[: -len(s)] for s in EXTENSION_SUFFIXES if extension.endswith(s)), "")
        source = stem + ".py"
        if stem and os.path.isfile(source) and (NO_EXTENSIONS or stale(extension, source)):
            return spec_from_file_location(fullname, source)
        return spec


def install() -> None:
    """Put `SourceFinder` first on `sys.meta_path` (once)."""
    if SourceFinder not in sys.meta_path:
        sys.meta_path.insert(0, SourceFinder)


def compiled_modules() -> list[str]:
    """The names of faststream's modules imported so far that run as compiled extension modules
    (empty when ``FASTSTREAM_NO_EXTENSIONS`` is set or nothing was compiled)."""
    return sorted(
        name
        for name, module in list(sys.modules.items())
        if (name == PACKAGE or name.startswith(PACKAGE + "."))
        and isinstance(getattr(module, "__loader__", None), ExtensionFileLoader)
    )


install()
