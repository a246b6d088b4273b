/* Memory-dump stops for the offline checker (tools/xcheck-dump,
 * docs/xcheck-dump.md).
 *
 * With [hv] dump = on, dump_point() prints everything xcheck-dump needs to
 * read a raw dump of machine memory (the RMP table, then gmem_print_roots of
 * every live guest) between "@@ ROOTS <tag>" and "@@ DUMP <tag>", and waits
 * for the runner: it polls COM1's receive side for one character, for at
 * most DUMP_WAIT_S seconds of TSC time. The runner (tools/qemu_run.py
 * --dump-dir) stops QEMU, saves memory with pmemsave, continues it and sends
 * the character. Nothing runs meanwhile: the tables in the dump are the
 * ones the roots name. */
#ifndef HV_DUMP_H
#define HV_DUMP_H

#include "hv/base/types.h"

struct guest;
struct snp_platform;

#define DUMP_WAIT_S 60

/* The tag is `what`, or `what-name` when name is not NULL ("created",
 * "end-alpha"): a word ([A-Za-z0-9_.:/-], at most 48 characters).
 * guests[0..n): the guest table; the ones whose memory is up (gmem ready)
 * are printed. Returns 0 (answered, or dump is off), -ETIMEDOUT (nobody
 * answered: logged, the hypervisor goes on) or -EINVAL (bad tag). */
int dump_point(const char *what, const char *name, struct guest *guests, unsigned n,
	       const struct snp_platform *snp);

#endif
