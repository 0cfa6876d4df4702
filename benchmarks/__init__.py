"""labkit benchmarks: speed and memory figures, printed (run: bash scripts/bench.sh)."""
