"""Build the compiled core, `_cstream`, with Cython (and, opt-in, faststream's per-request modules).

`PYTHON_MODULES` are plain-Python modules of faststream that ``FASTSTREAM_COMPILE_PYTHON=1``
compiles as they are: the `.py` file stays in the package as the source and as its own pure
twin (faststream/_purepy.py makes ``FASTSTREAM_NO_EXTENSIONS=1`` at run time load the `.py`).

Environment switches (build time):

* ``FASTSTREAM_NO_EXTENSIONS=1`` builds nothing: only the pure-Python twins are installed.
* ``FASTSTREAM_REQUIRE_EXTENSIONS=1`` turns a failed compile into a failed install
  (CI and cibuildwheel set it, so a release can never ship without its compiled modules).
  Without it every extension is optional: a machine with no compiler still installs.
* ``FASTSTREAM_DEBUG_BUILD=1`` compiles with ``-O0 -g3`` and assertions on.
* ``FASTSTREAM_RELEASE_BUILD=1`` compiles and links without debug information (``-g0``, the
  linker's ``-S``), whatever the interpreter's own CFLAGS say: a wheel a quarter of the size,
  with the same code (the release workflow and tools/release-check set it).
* ``FASTSTREAM_CYTHON_TRACE=1`` adds line tracing for coverage runs (never in a release).
* ``FASTSTREAM_COMPILE_PYTHON=1`` also compiles `PYTHON_MODULES`, faststream's own per-request
  modules, with Cython as they are (opt-in: see the list below for what it gains).
"""

from __future__ import annotations

import os
import sys
from glob import glob

from setuptools import Extension, setup


def _flag(name: str) -> bool:
    return os.environ.get(name, "") not in ("", "0")


NO_EXTENSIONS = _flag("FASTSTREAM_NO_EXTENSIONS") or sys.implementation.name != "cpython"
REQUIRE = _flag("FASTSTREAM_REQUIRE_EXTENSIONS")
DEBUG = _flag("FASTSTREAM_DEBUG_BUILD")
TRACE = _flag("FASTSTREAM_CYTHON_TRACE")
RELEASE = _flag("FASTSTREAM_RELEASE_BUILD")
COMPILE_PYTHON = _flag("FASTSTREAM_COMPILE_PYTHON")

if NO_EXTENSIONS and REQUIRE:
    raise SystemExit("FASTSTREAM_NO_EXTENSIONS and FASTSTREAM_REQUIRE_EXTENSIONS are both set")
if RELEASE and (DEBUG or TRACE):
    raise SystemExit("FASTSTREAM_RELEASE_BUILD excludes FASTSTREAM_DEBUG_BUILD and _CYTHON_TRACE")


# faststream's modules on a small request's path, compiled unchanged with
# FASTSTREAM_COMPILE_PYTHON=1. Measured on CPython 3.11 (bench/BUDGET-small.md): build_request
# 19.3 K -> 15.9 K instructions; a whole keep-alive GET about the same instruction count (the
# eval loop's ~50 K become attribute and dict lookups that the interpreter's specialised
# instructions had cached), client CPU per sync request 0.7-0.9x. Opt-in until it pays clearly.
# Left interpreted on purpose:
# * the async-only modules (_async_client, _async_http11, _async_pool, _asyncio_connection):
#   compiled, an asyncio request took no fewer instructions (227 K against 223 K);
# * _headers: it unpacks the caller's (name, value) pairs, and a compiled unpacking words its
#   ValueError differently from the interpreter (httpx's message is the interpreter's);
# * _transports/_settings: its `import h2` check must become `__import__("h2")` first (compiled,
#   an import statement takes the None that blocks an import in sys.modules for the module);
# * HTTP/2, downloads, mocks, auth, cookies, the CLI: not on a small request's path.
PYTHON_MODULES = [
    "faststream._client_base",
    "faststream._client",
    "faststream._request",
    "faststream._response",
    "faststream._urls",
    "faststream._urlparse",
    "faststream._transports._http11_exchange",
    "faststream._transports._http11",
    "faststream._transports._pool_base",
    "faststream._transports._pool",
    "faststream._transports._backends",
    "faststream._transports._connection",
]

# Directives for the plain-Python modules: they must behave exactly as interpreted. Annotations
# stay annotations (never run-time type checks or C types), functions are ordinary bindable
# function objects (introspection, mocks and descriptors see what they see in the .py), and
# docstrings keep their text.
PYTHON_DIRECTIVES = {
    "language_level": 3,
    "binding": True,
    "annotation_typing": False,
    "embedsignature": False,
    "auto_pickle": False,
    "autotestdict": False,
}


def _extensions() -> list[Extension]:
    from Cython.Build import cythonize

    extra_compile_args: list[str] = []
    extra_link_args: list[str] = []
    macros: list[tuple[str, str | None]] = []
    if DEBUG and sys.platform != "win32":
        extra_compile_args += ["-O0", "-g3", "-UNDEBUG"]
    if RELEASE and sys.platform != "win32":
        # after the interpreter's CFLAGS (which often carry -g), so the last -g option wins;
        # GNU ld and Apple's ld both read -S as "no debug information in the output".
        # (MSVC puts debug information in a separate .pdb, never in the .pyd.)
        extra_compile_args += ["-g0"]
        extra_link_args += ["-Wl,-S"]
    if TRACE:
        macros += [("CYTHON_TRACE_NOGIL", "1"), ("CYTHON_USE_SYS_MONITORING", "0")]

    modules = []
    for pyx in sorted(glob("src/_cstream/*.pyx")):
        name = "_cstream." + os.path.splitext(os.path.basename(pyx))[0]
        libraries: list[str] = []
        mod_macros = list(macros)
        if name == "_cstream._zlib" and sys.platform != "win32":
            # zlib's C API straight from Cython; Windows has no system zlib, so there the
            # decoder drives the zlib module's decompressobj instead (see _zlib.pyx).
            libraries.append("z")
            mod_macros.append(("FASTSTREAM_HAVE_ZLIB_H", "1"))
        modules.append(
            Extension(
                name,
                [pyx],
                libraries=libraries,
                define_macros=mod_macros,
                extra_compile_args=extra_compile_args,
                extra_link_args=extra_link_args,
            )
        )

    # One set of directives for every module. boundscheck and wraparound keep Cython's
    # defaults: the modules index raw pointers with lengths they checked, and a function that
    # ever needs otherwise says so with a decorator.
    directives = {
        "language_level": 3,
        "embedsignature": True,
        "linetrace": TRACE,
        # No compiled type pickles: restoring C-level lengths and states from a pickle would
        # trust them.
        "auto_pickle": False,
        # No doctests are collected from the compiled modules (no __test__ dicts).
        "autotestdict": False,
    }
    built = cythonize(modules, compiler_directives=directives, quiet=True)
    python_modules = [
        Extension(
            name,
            ["src/" + name.replace(".", "/") + ".py"],
            define_macros=list(macros),
            extra_compile_args=extra_compile_args,
            extra_link_args=extra_link_args,
        )
        for name in (PYTHON_MODULES if COMPILE_PYTHON else [])
    ]
    built += cythonize(
        python_modules,
        compiler_directives={**PYTHON_DIRECTIVES, "linetrace": TRACE},
        quiet=True,
    )
    # cythonize() returns fresh Extension objects without `optional`; set it afterwards.
    for ext in built:
        ext.optional = not REQUIRE
    return built


setup(ext_modules=[] if NO_EXTENSIONS else _extensions())
