#!/bin/bash
# The grammar: grammar/ccbuild.schema.json and ccbuild lint agree on every
# good and bad manifest; lint, plan and graph on every example profile.
# The checks live in tests/grammar/check-schema.py (TAP).
exec python3 "$(dirname "$0")/grammar/check-schema.py"
