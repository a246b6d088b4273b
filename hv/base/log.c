/* Leveled log output on top of the C library's stdio (newlib in the
 * hypervisor, glibc in host tests). Each line is prefixed with its level. */
#include "hv/base/log.h"

#include <stdio.h>

enum log_level log_level_max = LOG_INFO;

static const char *const level_tag[] = {
	[LOG_ERR] = "error: ",
	[LOG_WARN] = "warning: ",
	[LOG_INFO] = "",
	[LOG_DEBUG] = "debug: ",
};

void log_vmsg(enum log_level lvl, const char *fmt, va_list ap)
{
	if (lvl > log_level_max)
		return;
	fputs(level_tag[lvl], stdout);
	vprintf(fmt, ap);
	fflush(stdout);
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(lvl, fmt, ap);
	va_end(ap);
}
