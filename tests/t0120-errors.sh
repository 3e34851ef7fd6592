#!/bin/bash
# The one error path: reasons kept, write errors reported, exit codes.
. "$(dirname "$0")/test-lib.sh"

write_project () {
	mkdir -p base
	cat >ccbuild.yaml <<-\YAML
	ccbuild: 1
	project: errs
	images:
	  base: {context: base}
	profiles:
	  dev: {}
	YAML
	printf 'FROM busybox:1.36\n' >base/Dockerfile
}

test_expect_success 'an unreadable Dockerfile keeps its reason' '
	write_project &&
	rm base/Dockerfile && mkdir base/Dockerfile &&
	test_expect_code 2 "$CCBUILD" plan dev 2>err &&
	grep -q "image .base.: cannot read Dockerfile base/Dockerfile: not a regular file (a directory)" err &&
	rmdir base/Dockerfile && printf "FROM busybox:1.36\n" >base/Dockerfile
'

test_expect_success 'an unreadable -f manifest keeps its reason' '
	test_expect_code 2 "$CCBUILD" -f none.yaml plan dev 2>err &&
	grep -q "none.yaml: cannot read the manifest: No such file or directory" err
'

test_done
