/* Structured results for the test runner, written to the serial console.
 *
 * Every machine-readable line starts with "@@ " at the start of a line (the
 * runner strips OVMF's escape sequences first). The grammar is in
 * docs/test-protocol.md:
 *   @@ BEGIN <scenario>
 *   @@ CHECK PASS|FAIL <name> [detail]
 *   @@ GUEST <name> <outcome> exits=<n> [detail]
 *   @@ METRIC <name> <value> <unit>
 *   @@ END <scenario> passed=<n> failed=<n>
 *   @@ PANIC <message>
 * Names are words without spaces ([A-Za-z0-9_.:/-]). */
#ifndef HV_REPORT_H
#define HV_REPORT_H

#include "hv/base/types.h"

void report_begin(const char *scenario);
/* Records one check; returns ok so callers can chain. */
bool report_check(bool ok, const char *name, const char *detail_fmt, ...) __printf(3, 4);
void report_guest(const char *name, const char *outcome, u64 exits, const char *detail);
void report_metric(const char *name, u64 value, const char *unit);
/* Ends the scenario; returns the number of failed checks. */
unsigned report_end(void);
unsigned report_failed(void);

#define CHECK(cond, name) report_check((cond), (name), "%s (%s:%d)", #cond, __FILE__, __LINE__)

#endif
