"""`python -m benchmarks.child MODULE CASE PARAMS_JSON OUT_JSON`: one case in its own process.

The runner starts each case this way so that a case is bounded in time (its process group is
killed at the deadline) and starts from a clean process (no engines or caches of another).
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    module_name, case, params, out = argv
    module = importlib.import_module(f"benchmarks.{module_name}")
    result = module.CASES[case](json.loads(params))
    Path(out).write_text(json.dumps(result, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
