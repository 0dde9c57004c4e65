"""`python -m bench`: run every benchmark; each prints its own figures (no pass/fail on timings)."""

import runpy

for module in ("bench.ingest_validate", "bench.ingest_store", "bench.disburse"):
    print(f"== {module}")
    runpy.run_module(module, run_name="__main__")
