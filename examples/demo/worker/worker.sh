#!/bin/sh
# A stand-in worker: one line of work every $INTERVAL seconds.
n=0
while :; do
	n=$((n + 1))
	echo "worker: job $n done"
	sleep "${INTERVAL:-5}"
done
