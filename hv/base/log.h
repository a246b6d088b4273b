/* Logging with levels and panic. The same interface serves the hypervisor
 * (output through newlib's printf to the serial console) and the host tests
 * (stdout). Pure code logs through these and returns negative errno values;
 * it never panics on bad input. */
#ifndef HV_LOG_H
#define HV_LOG_H

#include <stdarg.h>

#include "hv/base/types.h"

enum log_level { LOG_ERR = 0, LOG_WARN = 1, LOG_INFO = 2, LOG_DEBUG = 3 };

/* Messages above this level are dropped. Default LOG_INFO. */
extern enum log_level log_level_max;

void log_msg(enum log_level lvl, const char *fmt, ...) __printf(2, 3);
void log_vmsg(enum log_level lvl, const char *fmt, va_list ap);

#define pr_err(...) log_msg(LOG_ERR, __VA_ARGS__)
#define pr_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define pr_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define pr_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

/* Ends everything: in the hypervisor it prints, reports "@@ PANIC" for the
 * test runner and exits QEMU with a failure status (halts on real hardware);
 * in host tests it aborts. Only for broken hypervisor invariants. */
void panic(const char *fmt, ...) __printf(1, 2) __noreturn;

#define BUG_ON(cond)                                                              \
	do {                                                                      \
		if (__builtin_expect(!!(cond), 0))                                \
			panic("BUG at %s:%d: %s", __FILE__, __LINE__, #cond);     \
	} while (0)

#endif
