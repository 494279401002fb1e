#!/usr/bin/env bash
# The long run of the model-based random test of the C API (Tests/CApiTests/ModelTests.swift):
# WDF_MODEL_OPS operations (default 2,000,000) with the verifier off and on, from a new random
# seed each time; a mismatch prints the seed and the command that replays it
# (WDF_MODEL_SEED=<seed> WDF_MODEL_OPS=<n> swift test --filter ModelTests).
set -euo pipefail
cd "$(dirname "$0")/../.."
export WDF_MODEL_OPS=${WDF_MODEL_OPS:-2000000}
echo "== model test, long run ($WDF_MODEL_OPS operations per run)"
swift test --filter ModelTests > /tmp/wdf-model.log 2>&1 || { grep -E "MODEL|FAIL|✘" /tmp/wdf-model.log | head -n 40; tail -n 40 /tmp/wdf-model.log; exit 1; }
grep -E "^MODEL" /tmp/wdf-model.log | sed 's/^/model: /'
