#!/bin/bash
# ccbuild's retention decides as restic's `forget` does: random calendars
# of snapshots made at chosen times by both tools (ccbuild through
# $CCBUILD_BACKUP_TIME, restic with backup --time), random keep rules,
# and each snapshot's keep/forget and reasons compared, per calendar.
# The oracle is restic 0.18 (Debian 13, scripts/setup.sh --peers), whose
# rules are the ones ccbuild implements; Debian 12's restic 0.14 lacks the
# "oldest" rule and unlimited counts, and is checked to differ only there.
# T0620_CALENDARS and T0620_RULES set the sizes (the closing note of #15
# used 200 and 12).
. "$(dirname "$0")/test-lib.sh"
test_description 'backup retention: restic forget, cross-checked'

R18=${RESTIC_PEER:-/usr/local/libexec/ccbuild-peers/restic}
R14=$(command -v restic)
NCAL=${T0620_CALENDARS:-8}
NRULES=${T0620_RULES:-6}
export RESTIC_PASSWORD=t0620 TZ=UTC

if ! "$R18" version 2>/dev/null | grep -q "restic 0.1[89]"; then
	test_skip "no restic 0.18 at $R18 (scripts/setup.sh --peers)"
fi

test_expect_success 'setup: calendars and rules' '
	python3 - "$NCAL" "$NRULES" <<-\PY
	import random, sys, time
	ncal, nrules = int(sys.argv[1]), int(sys.argv[2])
	rnd = random.Random(int(time.time()))
	now = int(time.time()) - 3600
	with open("calendars", "w") as f:
	    for c in range(ncal):
	        span = rnd.choice([2, 10, 60, 400, 1200]) * 86400
	        n = rnd.randint(1, 14)
	        ts = set()
	        while len(ts) < n:
	            if ts and rnd.random() < 0.3:  # close to another: same hour, day or week
	                t = rnd.choice(sorted(ts)) + rnd.choice([1, 60, 3000, 20000, 90000, 400000]) * rnd.choice([-1, 1])
	            else:
	                t = now - rnd.randint(0, span)
	            if t < now:
	                ts.add(t)
	        f.write("cal%d %s\n" % (c, " ".join(str(t) for t in sorted(ts))))
	keys = ["last", "hourly", "daily", "weekly", "monthly", "yearly"]
	with open("rules", "w") as f:
	    for r in range(nrules):
	        rule = {}
	        while not rule:
	            for k in keys:
	                if rnd.random() < 0.35:
	                    rule[k] = rnd.choice([1, 1, 2, 3, 5, 8, -1])
	            if rnd.random() < 0.3:
	                rule["within"] = rnd.choice(["2d", "36h", "1m", "1y2m", "10d5h", "3y"])
	        f.write(" ".join("%s=%s" % kv for kv in rule.items()) + "\n")
	PY
	test -s calendars && test -s rules
'

time_of () { date -u -d "@$1" "+%Y-%m-%d %H:%M:%S"; }

test_expect_success 'the same snapshots in restic (one host per calendar) and in ccbuild' '
	"$R18" init -q -r rrepo &&
	mkdir -p rsrc && echo x >rsrc/f &&
	{ printf "ccbuild: 1\nproject: t0620\nprofiles:\n  dev:\n    backups: [%s]\nbackups:\n" \
		"$(cut -d" " -f1 calendars | paste -sd, -)"
	  while read cal times; do
		printf "  %s:\n    source: path:src/%s\n    destinations: [{path: repo}]\n    retention: RULE\n" $cal $cal
	  done <calendars; } >ccbuild.yaml.in &&
	sed "/retention: RULE/d" ccbuild.yaml.in >ccbuild.yaml &&
	while read cal times; do
		mkdir -p src/$cal &&
		for t in $times; do
			echo $t >src/$cal/f &&
			CCBUILD_BACKUP_TIME=$(date -u -d @$t +%Y-%m-%dT%H:%M:%SZ) "$CCBUILD" backup dev $cal >/dev/null &&
			"$R18" -r rrepo backup -q --host $cal --time "$(time_of $t)" rsrc >/dev/null || return 1
		done
	done <calendars &&
	test $(find repo/snapshots -name "*.json" | wc -l) = $(wc -w <calendars | awk -v n=$NCAL "{print \$1 - n}")
'

# Per calendar: "cal TIME reasons..." for each kept snapshot, sorted.
ccbuild_keeps () {
	"$CCBUILD" --dry-run backup forget dev | awk '
		/^[^ ].*: cal[0-9]+$/ { cal = $NF; next }
		$1 == "keep" { r = $0; sub(/^[^(]*\(/, "", r); sub(/\)$/, "", r)
			n = split(r, a, ", "); s = ""; for (i = 1; i <= n; i++) s = s "|" a[i]
			print cal, $3, s }' | sort
}

restic_keeps () {
	"$1" -r rrepo --no-lock forget --dry-run --json --group-by host $2 2>/dev/null | python3 -c '
import json, sys
for g in json.load(sys.stdin) or []:
    for r in g.get("reasons") or []:
        print(g["host"], r["snapshot"]["time"][:19] + "Z", "|".join(r["matches"]))
' | sort
}

# A rule line as manifest YAML and as restic flags (-1: unlimited).
to_yaml () { echo "$1" | sed -e "s/ /, /g" -e "s/\([a-z]*\)=\([^ ,]*\)/keep_\1: \2/g" -e "s/.*/{&}/"; }
to_flags () {
	local f out=
	for f in $1; do
		v=${f#*=}; test "$2" = 18 && test "$v" = -1 && v=unlimited
		out="$out --keep-${f%%=*} $v"
	done
	echo "$out"
}

sorted_reasons () {
	python3 -c 'import sys
for l in sys.stdin:
    cal, t, r = (l.rstrip("\n").split(" ", 2) + [""])[:3]
    print(cal, t, "|".join(sorted(x for x in r.split("|") if x)))' | sort
}

# The lines of kept snapshots with a reason besides "oldest ...", as
# "cal TIME": what restic 0.14, which has no oldest rule, keeps.
not_only_oldest () {
	python3 -c 'import sys
for l in sys.stdin:
    cal, t, r = (l.rstrip("\n").split(" ", 2) + [""])[:3]
    if [x for x in r.split("|") if not x.startswith("oldest ")]:
        print(cal, t)' | sort
}

test_expect_success 'every rule: ccbuild keeps exactly what restic 0.18 keeps, for the same reasons' '
	: >mismatches &&
	while read rule; do
		sed "s/RULE/$(to_yaml "$rule")/" ccbuild.yaml.in >ccbuild.yaml &&
		ccbuild_keeps | sorted_reasons >c.keep &&
		restic_keeps "$R18" "$(to_flags "$rule" 18)" | sorted_reasons >r.keep &&
		{ diff r.keep c.keep >d || { echo "rule $rule:"; cat d; } >>mismatches; }
	done <rules &&
	echo "$NCAL calendars x $NRULES rules, $(wc -l <c.keep) kept in the last" &&
	test_cmp /dev/null mismatches &&
	test -s c.keep
'

if test -z "$R14" || ! "$R14" version | grep -q "restic 0.14"; then
	test_skip "no Debian 12 restic 0.14"
fi

test_expect_success 'restic 0.14 differs only by the oldest rule (rules without unlimited counts)' '
	: >mismatches &&
	while read rule; do
		case " $rule " in *=-1\ *) continue ;; esac
		sed "s/RULE/$(to_yaml "$rule")/" ccbuild.yaml.in >ccbuild.yaml &&
		ccbuild_keeps | sorted_reasons | not_only_oldest >c.keep &&
		restic_keeps "$R14" "$(to_flags "$rule" 14)" | awk "{print \$1, \$2}" | sort >r.keep &&
		{ diff r.keep c.keep >d || { echo "rule $rule:"; cat d; } >>mismatches; }
	done <rules &&
	test_cmp /dev/null mismatches
'

test_done
