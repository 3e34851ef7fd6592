#!/bin/sh
# A stand-in for the agent: refuses a config that still names host paths,
# records that it started (state/started.json, synced out at down), then
# answers on its config until stopped.
dir=${AGENT_CONFIG_DIR:-/root/.agent}
left=$(find "$dir" -name "*.json" -exec grep -l "/Users/me/" {} +)
if [ -n "$left" ]; then
	echo "agent: host paths left in the config: $left" >&2
	exit 1
fi
mkdir -p "$dir/state"
workspace=$(sed -n 's/.*"workspace": *"\([^"]*\)".*/\1/p' "$dir/settings.json")
printf '{"started": "%s", "workspace": "%s"}\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$workspace" \
	>"$dir/state/.started.json.tmp" && mv "$dir/state/.started.json.tmp" "$dir/state/started.json"
echo "agent: started in $workspace"
while :; do sleep 1; done
