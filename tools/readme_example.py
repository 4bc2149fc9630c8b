"""Print the README's main example, pointed at a server of the caller's choosing.

The first ```python block of README.md is the example users copy. It names one placeholder
origin, `https://example.org`; this prints the block with that origin replaced by BASE_URL, so
a test (or a release check in a fresh virtualenv) can run exactly what the README shows against
a loopback server:

    python tools/readme_example.py http://127.0.0.1:8000 > example.py && python example.py

Exit status 1 when the README has no python block or the block does not use the placeholder
(the example would then reach the real network).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"
PLACEHOLDER = "https://example.org"
_FIRST_PYTHON_BLOCK = re.compile(r"^```python\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def example(readme_text: str, base_url: str) -> str:
    """The first python block of `readme_text`, its placeholder origin replaced by `base_url`."""
    match = _FIRST_PYTHON_BLOCK.search(readme_text)
    if match is None:
        raise ValueError("the README has no ```python block")
    code = match.group(1)
    if PLACEHOLDER not in code:
        raise ValueError(f"the README's first python block does not use {PLACEHOLDER}")
    return code.replace(PLACEHOLDER, base_url.rstrip("/"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base_url", metavar="BASE_URL", help="e.g. http://127.0.0.1:8000")
    parser.add_argument("--readme", type=Path, default=README, help="default: the repo's")
    args = parser.parse_args(argv)
    try:
        code = example(args.readme.read_text(encoding="utf-8"), args.base_url)
    except ValueError as exc:
        print(f"readme_example: {exc}", file=sys.stderr)
        return 1
    sys.stdout.write(code)
    return 0


if __name__ == "__main__":
    sys.exit(main())
