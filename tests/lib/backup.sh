# Helpers for the backup tests of a host directory (t0800, t0831, t0842,
# t0843).

# backup_listing DIR: every path with type, mode, owner, symlink target and
# the SHA-256 of regular files (what a restore must give back byte-exact).
backup_listing () {
	(cd "$1" && find . -mindepth 1 -printf '%p %y %m %U:%G %l\n' | sort &&
		find . -type f -print0 | sort -z | xargs -0 -r sha256sum)
}

# backup_path_manifest [LINE...]: ccbuild.yaml whose profile dev backs up
# path:src into each of $BACKUP_DESTS (default "repo1 repo2"); each LINE
# is one more key of that backup ("verify: 100%").
backup_path_manifest () {
	local d
	cat >ccbuild.yaml <<-\EOF &&
	ccbuild: 1
	project: bk
	profiles:
	  dev:
	    backups: [data]
	backups:
	  data:
	    source: path:src
	    destinations:
	EOF
	for d in ${BACKUP_DESTS:-repo1 repo2}; do
		printf '      - path: %s\n' "$d" >>ccbuild.yaml || return 1
	done &&
	for line in "$@"; do
		printf '    %s\n' "$line" >>ccbuild.yaml || return 1
	done
}
