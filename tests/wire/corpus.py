"""The wire corpus, curl-tests style: raw server bytes in, the outcome each library must show out.

A `Case` (corpus_model.py) names its THREATS.md row (T8..T28, F1..F10), the raw scripts the
server plays (one per connection; `{origin2}` in a reply is replaced by the URL of a second
server, another origin), the requests the client makes in order (how each one reads the body)
and the expected outcome for httpx 0.28.1 (probed: what it does today) and for faststream.
`faststream=None` means "same as httpx"; a case where they differ names the DESIGN.md deviation
(or THREATS §4 decision) it follows in `deviation`.

`Expect.connections` is the number of connections the server accepted over the whole case: it is
how "the next request reused the connection" (1) or "the connection was not pooled" (2) is seen
from the outside.

The cases live in three modules by THREATS section: corpus_framing.py (B: T8-T24),
corpus_request.py (C: T25-T28), corpus_faults.py (D: F1, F2, F5, F9, F10).
"""

from __future__ import annotations

from .corpus_faults import FAULT_CASES
from .corpus_framing import FRAMING_CASES
from .corpus_model import Case
from .corpus_request import REQUEST_CASES


def _all_cases() -> list[Case]:
    cases = [*FRAMING_CASES, *REQUEST_CASES, *FAULT_CASES]
    ids = [c.id for c in cases]
    duplicates = {i for i in ids if ids.count(i) > 1}
    assert not duplicates, duplicates
    for c in cases:
        assert (c.faststream is None) == (c.deviation == ""), f"{c.id}: say why they differ"
    return cases


CASES: list[Case] = _all_cases()
