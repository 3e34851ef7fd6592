/* metrics, facts, otlp: the exposition text (escaping, grouping, histogram
 * buckets in order ending with +Inf equal to _count, counters summed over
 * runs, gauges replaced), facts summed or replaced, OTLP/JSON's encoding
 * rules (hex ids, integer enums, decimal-string int64s). */
#include "facts.h"
#include "metrics.h"
#include "otlp.h"
#include "error.h"
#include "otlp-proto.h"
#include "pbwire.h"
#include "tap.h"
#include "util.h"

#include <stdlib.h>

static const struct fact_def bytes_def = { "ccbuild_build_context_bytes_total", "counter", "Bytes \\ sent\nout.",
					   NULL };
static const struct fact_def findings_def = { "ccbuild_scan_findings", "gauge", "Findings.", "level" };

static void test_facts(void)
{
	json_t *report = NULL;
	const json_t *f;

	facts_add(&report, &bytes_def, NULL, 100);
	facts_add(&report, &bytes_def, NULL, 23);
	facts_add(&report, &findings_def, "error", 2);
	facts_add(&report, &findings_def, "error", 5);
	facts_add(&report, &findings_def, "warn", 1);
	f = facts_of(report);
	is_int(json_array_size(f), 3, "one fact per metric and label value");
	is_int(json_number_value(json_object_get(json_array_get(f, 0), "value")), 123, "a counter's adds sum");
	is_int(json_number_value(json_object_get(json_array_get(f, 1), "value")), 5, "a gauge's last add wins");
	ok(facts_valid_name("ccbuild_a:b_total", 1) && !facts_valid_name("a:b", 0) && !facts_valid_name("9a", 1) &&
		   !facts_valid_name("a-b", 1),
	   "Prometheus name rules");
	json_decref(report);
}

static const char *expected =
	"# HELP ccbuild_build_context_bytes_total Bytes \\\\ sent\\nout.\n"
	"# TYPE ccbuild_build_context_bytes_total counter\n"
	"ccbuild_build_context_bytes_total{kind=\"build\",profile=\"d\\\"q\\\\\",project=\"p\",step=\"build:a\"} "
	"246\n"
	"# HELP ccbuild_run_duration_seconds Wall time of the last run.\n"
	"# TYPE ccbuild_run_duration_seconds gauge\n"
	"ccbuild_run_duration_seconds{profile=\"d\\\"q\\\\\",project=\"p\"} 0.25\n";

static void test_format(void)
{
	json_t *report = NULL, *totals = json_object();
	struct metrics_step steps[2];
	struct metrics_run run = { "p", "d\"q\\", 0, 2.5, 1796126400.5, steps, 2 };
	char *text;
	const char *p, *inf, *count;

	facts_add(&report, &bytes_def, NULL, 123);
	steps[0] = (struct metrics_step){ "build:a", "build", "done", 0.7, facts_of(report) };
	steps[1] = (struct metrics_step){ "build:b", "build", "cancelled", 0, NULL };
	metrics_fold(totals, &run);
	run.seconds = 0.25;
	run.exit_code = 1;
	metrics_fold(totals, &run);
	text = metrics_format(totals);
	ok(strstr(text, expected) != NULL, "HELP escaped, label values escaped, counter summed (246), gauge replaced");
	ok(strstr(text, "ccbuild_runs_total{profile=\"d\\\"q\\\\\",project=\"p\",result=\"ok\"} 1\n") &&
		   strstr(text, "result=\"failed\"} 1\n"),
	   "runs by result");
	ok(strstr(text,
		  "ccbuild_steps_total{kind=\"build\",profile=\"d\\\"q\\\\\",project=\"p\",status=\"cancelled\"} 2") !=
		   NULL,
	   "cancelled steps counted");
	ok(!strstr(text, "status=\"cancelled\",le="), "but not timed");
	p = strstr(text, "ccbuild_step_duration_seconds_bucket{kind=\"build\",profile=\"d\\\"q\\\\\",project=\"p\","
			 "status=\"done\",le=\"0.5\"} 0\n");
	ok(p && strstr(p, "le=\"1\"} 2\n"), "0.7 s falls in le=1, cumulative");
	inf = strstr(text, "le=\"+Inf\"} 2\n");
	count = strstr(text, "ccbuild_step_duration_seconds_count{kind=\"build\",profile=\"d\\\"q\\\\\",project=\"p\","
			     "status=\"done\"} 2\n");
	ok(inf && count && inf < count && strstr(text, "_sum{") < count, "+Inf = _count, after the buckets and _sum");
	ok(strstr(text, "ccbuild_run_last_success_timestamp_seconds{profile=\"d\\\"q\\\\\",project=\"p\"} "
			"1796126400.5\n") != NULL,
	   "last success kept from the good run");
	ok(text[strlen(text) - 1] == '\n', "ends with a newline");
	free(text);
	json_decref(totals);
	json_decref(report);
}

static void test_otlp(void)
{
	json_t *attrs = json_pack("{s:s, s:i, s:f, s:b, s:f}", "s", "x", "i", 42, "d", 0.5, "b", 1, "r", 7.0);
	const char *links[] = { "00000000000000a1", NULL };
	struct otlp_span spans[2] = {
		{ "ccbuild dev", "00000000000000ff", NULL, 1796126400000000001LL, 1796126401000000001LL,
		  OTLP_STATUS_ERROR, "a step failed", NULL, NULL },
		{ "build:a", "00000000000000a2", "00000000000000ff", 1796126400100000000LL, 1796126400200000000LL,
		  OTLP_STATUS_OK, NULL, attrs, links },
	};
	json_t *doc = otlp_traces("0123456789abcdef0123456789abcdef", "1.0", "h", spans, 2);
	char *text = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);

	ok(strstr(text, "\"traceId\":\"0123456789abcdef0123456789abcdef\",\"spanId\":\"00000000000000a2\","
			"\"parentSpanId\":\"00000000000000ff\",\"name\":\"build:a\",\"kind\":1,"
			"\"startTimeUnixNano\":\"1796126400100000000\"") != NULL,
	   "hex ids, parent, integer kind, int64 as a decimal string");
	ok(strstr(text, "{\"key\":\"i\",\"value\":{\"intValue\":\"42\"}}") &&
		   strstr(text, "{\"key\":\"d\",\"value\":{\"doubleValue\":0.5}}") &&
		   strstr(text, "{\"key\":\"b\",\"value\":{\"boolValue\":true}}") &&
		   strstr(text, "{\"key\":\"r\",\"value\":{\"intValue\":\"7\"}}"),
	   "attribute values typed; integral reals as intValue strings");
	ok(strstr(text, "\"status\":{\"code\":2,\"message\":\"a step failed\"}") != NULL, "status code as an integer");
	ok(strstr(text,
		  "\"links\":[{\"traceId\":\"0123456789abcdef0123456789abcdef\",\"spanId\":\"00000000000000a1\"}]") !=
		   NULL,
	   "links to dependencies");
	ok(strstr(text, "\"scope\":{\"name\":\"ccbuild\",\"version\":\"1.0\"}") != NULL, "scope");
	free(text);
	json_decref(doc);
	json_decref(attrs);
}

/* The n-th field numbered num of a message, as a reader over its bytes. */
static int find_field(struct pbreader r, uint32_t num, struct pbfield *out)
{
	struct pbfield f;

	while (pb_next(&r, &f) == 1)
		if (f.num == num) {
			*out = f;
			return 1;
		}
	return 0;
}

static void test_otlp_proto(void)
{
	json_t *doc =
		json_pack("{s:[{s:{s:[]}, s:[{s:[{s:s, s:s, s:s, s:i, s:s, s:s, s:[{s:s, s:{s:s}}], s:{s:i}}]}]}]}",
			  "resourceSpans", "resource", "attributes", "scopeSpans", "spans", "traceId",
			  "0123456789abcdef0123456789abcdef", "spanId", "00000000000000a2", "name", "s", "kind", 1,
			  "startTimeUnixNano", "5", "endTimeUnixNano", "7", "attributes", "key", "i", "value",
			  "intValue", "-2", "status", "code", 0);
	struct pbbuf b = { 0 };
	struct cc_error *err = NULL;
	struct pbfield rs, ss, sp, f;
	struct pbreader span;

	ok(otlp_proto_encode(doc, &b, &err) == 0, "a span encodes");
	ok(find_field(pbreader_of(b.data, b.len), 1, &rs) && find_field(pbreader_sub(&rs), 2, &ss) &&
		   find_field(pbreader_sub(&ss), 2, &sp),
	   "resource_spans(1) > scope_spans(2) > spans(2)");
	span = pbreader_sub(&sp);
	ok(find_field(span, 1, &f) && f.len == 16 && f.data[0] == 0x01 && f.data[15] == 0xef, "trace_id as 16 bytes");
	ok(find_field(span, 7, &f) && f.wire == PB_FIXED64 && f.varint == 5, "start time as fixed64");
	ok(find_field(span, 15, &f) && f.len == 0, "status UNSET: an empty Status, no code written");
	ok(find_field(span, 9, &f) && find_field(pbreader_sub(&f), 2, &f) && find_field(pbreader_sub(&f), 3, &f) &&
		   f.varint == (uint64_t)-2,
	   "a negative intValue as a ten-byte varint");
	pbbuf_release(&b);
	json_object_set_new(
		json_array_get(
			json_object_get(
				json_array_get(json_object_get(json_array_get(json_object_get(doc, "resourceSpans"), 0),
							       "scopeSpans"),
					       0),
				"spans"),
			0),
		"spanId", json_string("00000000000000g2"));
	ok(otlp_proto_encode(doc, &b, &err) < 0 && err && strstr(err->msg, "spanId is not 16 hex digits"),
	   "a span id that is not hex is an error");
	cc_error_free(err);
	pbbuf_release(&b);
	json_decref(doc);
}

int main(void)
{
	test_facts();
	test_format();
	test_otlp();
	test_otlp_proto();
	return done_testing();
}
