/* Structured "@@" result lines for the test runner (hv/base/report.h). */
#include "hv/base/report.h"

#include <stdarg.h>
#include <stdio.h>

static const char *cur_scenario = "none";
static unsigned nr_passed, nr_failed;

void report_begin(const char *scenario)
{
	cur_scenario = scenario;
	nr_passed = nr_failed = 0;
	printf("@@ BEGIN %s\n", scenario);
}

bool report_check(bool ok, const char *name, const char *detail_fmt, ...)
{
	va_list ap;

	if (ok)
		nr_passed++;
	else
		nr_failed++;
	printf("@@ CHECK %s %s", ok ? "PASS" : "FAIL", name);
	if (detail_fmt && *detail_fmt) {
		putchar(' ');
		va_start(ap, detail_fmt);
		vprintf(detail_fmt, ap);
		va_end(ap);
	}
	putchar('\n');
	fflush(stdout);
	return ok;
}

void report_guest(const char *name, const char *outcome, u64 exits, const char *detail)
{
	printf("@@ GUEST %s %s exits=%llu%s%s\n", name, outcome, (unsigned long long)exits,
	       detail && *detail ? " " : "", detail ? detail : "");
}

void report_metric(const char *name, u64 value, const char *unit)
{
	printf("@@ METRIC %s %llu %s\n", name, (unsigned long long)value, unit);
}

unsigned report_end(void)
{
	printf("@@ END %s passed=%u failed=%u\n", cur_scenario, nr_passed, nr_failed);
	fflush(stdout);
	return nr_failed;
}

unsigned report_failed(void) { return nr_failed; }
