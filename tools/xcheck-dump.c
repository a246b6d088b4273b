/* xcheck-dump: the cross-checker offline, on a raw dump of machine memory
 * (QEMU monitor: `pmemsave 0 SIZE file`) and the table roots the hypervisor
 * prints (gmem_print_roots). Runs hv/core/xcheck with the same code, pointing the
 * fake physical window (hv/arch/host/host_env.h) at the dump.
 *
 * Usage: xcheck-dump [--no-ledger] [--corrupt-npt NAME:GPA[:alias|table]]... DUMP ROOTS
 * ROOTS, one item per line ('#' comments); the hypervisor prints them with
 * [hv] dump = on (hv/vm/dump.c, docs/xcheck-dump.md):
 *   dump BASE                          SPA of the dump's first byte (default 0)
 *   rmp BASE SIZE NPFNS                the RMP table (optional: no SNP checks)
 *   guest NAME ASID MEM_SIZE NPT_ROOT [LEDGER_SPA]
 *   domain ID ROOT LEVELS TRUSTED      an IOMMU domain of the last guest
 *   mmio GPA SPA SIZE                  a device MMIO range of the last guest
 * A domain whose root is its guest's NPT root is an iommu_mode = shared
 * domain: the NPT is then read in pt_fmt_npt_amdv1 and walked as the IOMMU
 * sees it too.
 * Without LEDGER_SPA (or with --no-ledger) the ledger is rebuilt from the NPT
 * and the RMP (the NPT is then the reference: I1 compares the domains
 * against it). pmem's state is not in the dump: owner and accounting checks
 * (parts of I4/I5, I7) are off.
 *
 * --corrupt-npt is a TEST AID: before checking, it rewrites the NPT leaf
 * that maps GPA in guest NAME, in the loaded copy of the dump (the file is
 * not changed), so that a test can prove the checker fails on real data:
 *   alias  (default) the leaf points at the frame of the next leaf of the
 *          same size in that NPT (a guest page aliased to another one of
 *          its own): I1 at GPA against the ledger
 *   table  the leaf points at the guest's NPT root page (the guest could
 *          rewrite its own tables): I4 at GPA (use a 4K leaf; a 2M leaf
 *          names the 4K of the block that holds the root)
 * Exit status: 0 no violation, 1 violations, 2 usage or input error. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hv/core/gmem.h"
#include "hv/base/log.h"
#include "hv/base/mem.h"
#include "hv/mm/pt.h"
#include "snp/rmp.h"
#include "hv/core/xcheck.h"
#include "hv/arch/host/host_env.h"

#define MAX_GUESTS  16
#define MAX_CORRUPT 8

struct corrupt {
	char name[16];
	u64 gpa;
	bool table;
};

static const struct rmp_ops dump_rmp_ops = {.name = "dump", .is_model = true};
static struct rmp rmp;
static bool have_rmp;
static struct gmem guests[MAX_GUESTS];
static bool has_ledger[MAX_GUESTS];
static u64 ledger_at[MAX_GUESTS];
static unsigned nguests;
static u64 win_base, win_size;
static struct corrupt corrupts[MAX_CORRUPT];
static unsigned ncorrupt;

/* Is [a, a + n) inside the dump? */
static bool in_dump(u64 a, u64 n)
{
	return a >= win_base && n <= win_size && a - win_base <= win_size - n;
}

/* A table entry in a corrupt or foreign dump can point anywhere; the
 * engine's reads outside the dump would hit host memory (host_env.c maps
 * SPAs outside the window 1:1). Say so and stop instead of crashing. */
static void on_fault(int sig)
{
	static const char msg[] = "xcheck-dump: a table entry points outside the dump "
				  "(corrupt tables, or roots of another dump); stopped\n";

	(void)sig;
	if (write(2, msg, sizeof(msg) - 1) < 0)
		_exit(2);
	_exit(2);
}

static void pt_attach(struct pt *pt, const struct pt_fmt *fmt, u64 root, unsigned levels)
{
	memset(pt, 0, sizeof(*pt));
	pt->fmt = fmt;
	pt->root = spa(root);
	pt->levels = (u8)levels;
	pt->va_bits = (u8)MIN(64u, pt_level_shift(levels) + 9);
	pt->table_pages = 1;
}

/* Rebuilds a ledger from the NPT: every leaf is a record, private when the RMP
 * assigns its frame to the guest's ASID, 2M when the leaf and the RMP say so. */
static int rebuild_leaf(void *ctx, const struct pt_leaf *l)
{
	struct gmem *g = ctx;

	for (u64 o = 0; o < l->size; o += PAGE_SIZE) {
		u64 a = l->va + o, pa = spa_val(l->pa) + o, s = GMEM_L_PRESENT | pa;
		struct rmp_info info;
		bool priv = false, huge = l->size == HUGE_SIZE;

		if (a >= g->mem_size)
			break;
		if (have_rmp && !rmp_lookup(&rmp, spa(pa), &info, NULL) && info.assigned &&
		    info.asid == g->asid) {
			priv = true;
			huge = huge && info.pagesize == RMP_PG_SIZE_2M;
		}
		s |= (priv ? GMEM_L_PRIVATE : 0) | (huge ? GMEM_L_HUGE : 0);
		g->ledger[a >> PAGE_SHIFT] = s;
		if (priv)
			g->st.private_pages++;
		else
			g->st.shared_pages++;
	}
	return 0;
}

static int parse(FILE *f, u64 *dump_base)
{
	char line[512];
	unsigned ln = 0;

	while (fgets(line, sizeof(line), f)) {
		char name[64], *hash = strchr(line, '#');
		unsigned long long a, b, c, d, e;
		int n;

		ln++;
		if (hash)
			*hash = 0;
		if (sscanf(line, " %63s", name) != 1)
			continue;
		if (!strcmp(name, "dump") && sscanf(line, " dump %lli", &a) == 1) {
			*dump_base = a;
		} else if (!strcmp(name, "rmp") &&
			   sscanf(line, " rmp %lli %lli %lli", &a, &b, &c) == 3) {
			rmp.ops = &dump_rmp_ops;
			rmp.base = spa(a);
			rmp.size = b;
			rmp.npfns = c;
			have_rmp = true;
		} else if (!strcmp(name, "guest") &&
			   (n = sscanf(line, " guest %63s %lli %lli %lli %lli", name, &a, &b, &c,
				       &d)) >= 4) {
			struct gmem *g;

			if (nguests == MAX_GUESTS || !b || !IS_ALIGNED(b, PAGE_SIZE) ||
			    b > GMEM_MAX_MEM)
				goto bad;
			g = &guests[nguests];
			snprintf(g->name, sizeof(g->name), "%.15s", name);
			g->asid = (u32)a;
			g->mem_size = b;
			g->nr_slots = b >> PAGE_SHIFT;
			g->max_page = HUGE_SIZE;
			pt_attach(&g->npt, &pt_fmt_npt, c, GMEM_NPT_LEVELS);
			if (n == 5) {
				ledger_at[nguests] = d; /* SPA: the window is not set yet */
				has_ledger[nguests] = true;
			}
			nguests++;
		} else if (!strcmp(name, "domain") &&
			   sscanf(line, " domain %lli %lli %lli %lli", &a, &b, &c, &e) == 4) {
			struct gmem *g = nguests ? &guests[nguests - 1] : NULL;
			struct gmem_domain *dm;

			if (!g || g->nr_dom == GMEM_MAX_DOMAINS || c < 1 || c > PT_MAX_LEVELS)
				goto bad;
			dm = &g->dom[g->nr_dom++];
			dm->id = (u16)a;
			dm->trusted = e != 0;
			if (b == spa_val(g->npt.root)) {
				/* iommu_mode = shared: the domain's table is the guest's NPT,
				 * written in pt_fmt_npt_amdv1 (gmem_domain_view) */
				dm->shared = true;
				g->iommu_mode = GMEM_IOMMU_SHARED;
				g->npt.fmt = &pt_fmt_npt_amdv1;
			} else {
				pt_attach(&dm->pt, &pt_fmt_amdv1, b, (unsigned)c);
			}
		} else if (!strcmp(name, "mmio") &&
			   sscanf(line, " mmio %lli %lli %lli", &a, &b, &c) == 3) {
			struct gmem *g = nguests ? &guests[nguests - 1] : NULL;
			bool dup = false;

			if (!g || !c || !IS_ALIGNED(a | b | c, PAGE_SIZE))
				goto bad;
			/* hv/vm/dump.c prints them while gmem_print_roots does not: once both
			 * do, the same line comes twice */
			for (unsigned k = 0; k < g->nr_mmio; k++)
				dup |= gpa_val(g->mmio[k].gpa) == a &&
				       spa_val(g->mmio[k].spa) == b && g->mmio[k].size == c;
			if (dup)
				continue;
			if (g->nr_mmio == GMEM_MAX_MMIO)
				goto bad;
			g->mmio[g->nr_mmio++] = (struct gmem_mmio){gpa(a), spa(b), c};
		} else {
			goto bad;
		}
	}
	return 0;
bad:
	fprintf(stderr, "xcheck-dump: roots line %u not understood: %s\n", ln, line);
	return -EINVAL;
}

/* NAME:GPA[:alias|table] */
static int parse_corrupt(const char *arg)
{
	struct corrupt *c = &corrupts[ncorrupt];
	const char *colon = strchr(arg, ':');
	char *end;

	if (ncorrupt == MAX_CORRUPT || !colon || colon == arg ||
	    colon - arg >= (long)sizeof(c->name))
		return -EINVAL;
	memset(c, 0, sizeof(*c));
	memcpy(c->name, arg, (size_t)(colon - arg));
	c->gpa = strtoull(colon + 1, &end, 0);
	if (end == colon + 1)
		return -EINVAL;
	if (!strcmp(end, ":table"))
		c->table = true;
	else if (*end && strcmp(end, ":alias"))
		return -EINVAL;
	ncorrupt++;
	return 0;
}

struct find_entry {
	u64 va;
	unsigned level;
	u64 *entry;
};

static int find_entry_tab(void *ctx, spa_t t, unsigned level, u64 va)
{
	struct find_entry *f = ctx;

	(void)va;
	if (level == f->level && in_dump(spa_val(t), PAGE_SIZE))
		f->entry = (u64 *)phys_ptr(t) + ((f->va >> pt_level_shift(level)) & 511);
	return 0;
}

/* Rewrites the NPT leaf mapping c->gpa in the loaded dump (test aid). */
static int corrupt_npt(const struct corrupt *c)
{
	struct gmem *g = NULL;
	struct pt_leaf l, n;
	struct find_entry f;
	struct pt_walk_ops ops = {.table = find_entry_tab};
	spa_t to = spa(0);

	for (unsigned i = 0; i < nguests; i++)
		if (!strcmp(guests[i].name, c->name))
			g = &guests[i];
	if (!g) {
		fprintf(stderr, "xcheck-dump: --corrupt-npt: no guest %s in the roots\n", c->name);
		return -ENOENT;
	}
	if (pt_lookup(&g->npt, c->gpa, &l)) {
		fprintf(stderr,
			"xcheck-dump: --corrupt-npt: GPA 0x%llx is not mapped in %s's NPT\n",
			(unsigned long long)c->gpa, c->name);
		return -ENOENT;
	}
	if (c->table) {
		to = spa(spa_val(g->npt.root) & ~(l.size - 1));
	} else {
		/* the next leaf of the same size (wrapping round), another frame */
		for (u64 k = 1; k < g->mem_size / l.size; k++) {
			u64 a = (l.va + k * l.size) % ALIGN_UP(g->mem_size, l.size);

			if (!pt_lookup(&g->npt, a, &n) && n.size == l.size &&
			    spa_val(n.pa) != spa_val(l.pa)) {
				to = n.pa;
				break;
			}
		}
		if (!spa_val(to)) {
			fprintf(stderr,
				"xcheck-dump: --corrupt-npt: %s has no other %llu KiB leaf\n",
				c->name, (unsigned long long)(l.size >> 10));
			return -ENOENT;
		}
	}
	f = (struct find_entry){l.va, l.level, NULL};
	pt_walk(&g->npt, l.va, PAGE_SIZE, &ops, &f);
	if (!f.entry) {
		fprintf(stderr, "xcheck-dump: --corrupt-npt: leaf entry of 0x%llx not found\n",
			(unsigned long long)c->gpa);
		return -ENOENT;
	}
	*f.entry = g->npt.fmt->leaf_entry(to, l.level, l.prot);
	printf("xcheck-dump: test aid: %s NPT leaf GPA 0x%llx (%llu KiB) now maps SPA 0x%llx "
	       "instead of 0x%llx (%s)\n",
	       c->name, (unsigned long long)l.va, (unsigned long long)(l.size >> 10),
	       (unsigned long long)spa_val(to), (unsigned long long)spa_val(l.pa),
	       c->table ? "its NPT root" : "the next leaf's frame");
	return 0;
}

static int usage(void)
{
	fprintf(stderr,
		"usage: xcheck-dump [--no-ledger] [--corrupt-npt NAME:GPA[:alias|table]]... "
		"DUMP ROOTS\n");
	return 2;
}

/* Every root the roots file names lies inside the dump. */
static int check_roots(void)
{
	if (have_rmp && !in_dump(spa_val(rmp.base), RMP_BOOKKEEPING_SIZE + rmp.npfns * 16)) {
		fprintf(stderr, "xcheck-dump: RMP table 0x%llx (%llu frames) is not in the dump\n",
			(unsigned long long)spa_val(rmp.base), (unsigned long long)rmp.npfns);
		return -EINVAL;
	}
	for (unsigned i = 0; i < nguests; i++) {
		const struct gmem *g = &guests[i];

		if (!in_dump(spa_val(g->npt.root), PAGE_SIZE) ||
		    (has_ledger[i] && !in_dump(ledger_at[i], g->nr_slots * 8))) {
			fprintf(stderr,
				"xcheck-dump: guest %s: NPT root or ledger not in the dump\n",
				g->name);
			return -EINVAL;
		}
		for (unsigned d = 0; d < g->nr_dom; d++)
			if (!in_dump(spa_val(g->dom[d].pt.root), PAGE_SIZE)) {
				fprintf(stderr,
					"xcheck-dump: guest %s: domain %u root not in the dump\n",
					g->name, g->dom[d].id);
				return -EINVAL;
			}
	}
	return 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
	static struct xcheck_report rep;
	const struct gmem *gs[MAX_GUESTS];
	/* The dump has no device layer: its validated BARs are unknown. */
	struct xcheck_opts o = {.no_pmem = true, .no_bars = true};
	u64 size;
	bool no_ledger = false;
	double t_load, t_check;
	int ai = 1;
	FILE *f;
	u8 *buf;

	for (; ai < argc && !strncmp(argv[ai], "--", 2); ai++) {
		if (!strcmp(argv[ai], "--no-ledger"))
			no_ledger = true;
		else if (!strcmp(argv[ai], "--corrupt-npt") && ai + 1 < argc) {
			if (parse_corrupt(argv[++ai])) {
				fprintf(stderr,
					"xcheck-dump: --corrupt-npt %s: want NAME:GPA[:alias|table]"
					" (at most %d)\n",
					argv[ai], MAX_CORRUPT);
				return 2;
			}
		} else
			return usage();
	}
	if (argc - ai != 2)
		return usage();
	f = fopen(argv[ai + 1], "r");
	if (!f || parse(f, &win_base)) {
		fprintf(stderr, "xcheck-dump: cannot read roots %s\n", argv[ai + 1]);
		return 2;
	}
	fclose(f);
	if (!nguests) {
		fprintf(stderr, "xcheck-dump: roots %s name no guest\n", argv[ai + 1]);
		return 2;
	}
	t_load = now_s();
	f = fopen(argv[ai], "rb");
	if (!f || fseek(f, 0, SEEK_END) || (long)(size = (u64)ftell(f)) <= 0 ||
	    fseek(f, 0, SEEK_SET)) {
		fprintf(stderr, "xcheck-dump: cannot read dump %s\n", argv[ai]);
		return 2;
	}
	buf = malloc(size);
	if (!buf || fread(buf, 1, size, f) != size) {
		fprintf(stderr, "xcheck-dump: cannot read %llu bytes of %s\n",
			(unsigned long long)size, argv[ai]);
		return 2;
	}
	fclose(f);
	t_load = now_s() - t_load;
	win_size = size;
	host_phys_window(buf, spa(win_base), size);
	for (unsigned i = 0; i < nguests; i++)
		has_ledger[i] = has_ledger[i] && !no_ledger;
	if (check_roots())
		return 2;
	for (unsigned i = 0; i < nguests; i++)
		if (has_ledger[i])
			guests[i].ledger = phys_ptr(spa(ledger_at[i]));
	signal(SIGSEGV, on_fault);
	signal(SIGBUS, on_fault);
	for (unsigned i = 0; i < ncorrupt; i++)
		if (corrupt_npt(&corrupts[i]))
			return 2;
	if (have_rmp) {
		o.rmp_base = rmp.base;
		o.rmp_size = rmp.size;
	}
	t_check = now_s();
	for (unsigned i = 0; i < nguests; i++) {
		struct gmem *g = &guests[i];
		struct pt_walk_ops ops = {.leaf = rebuild_leaf};

		g->rmp = have_rmp && g->asid ? &rmp : NULL;
		if (!has_ledger[i]) {
			g->ledger = calloc(g->nr_slots, sizeof(u64));
			if (!g->ledger)
				return 2;
			if (pt_walk_all(&g->npt, &ops, g))
				fprintf(stderr,
					"xcheck-dump: guest %s: NPT walk stopped (corrupt)\n",
					g->name);
		} else {
			for (u64 s = 0; s < g->nr_slots; s++)
				if (g->ledger[s] & GMEM_L_PRESENT) {
					if (g->ledger[s] & GMEM_L_PRIVATE)
						g->st.private_pages++;
					else
						g->st.shared_pages++;
				}
		}
		gs[i] = g;
	}
	if (xcheck_run_opts(gs, nguests, &o, &rep)) {
		fprintf(stderr, "xcheck-dump: checker failed\n");
		return 2;
	}
	t_check = now_s() - t_check;
	log_level_max = LOG_INFO;
	xcheck_print(&rep);
	printf("xcheck-dump: %u guest(s) (%s), dump %llu MiB loaded in %.3f s; checked %llu KiB "
	       "mapped in %.3f s (%.0f us per MiB mapped)\n",
	       nguests, no_ledger ? "ledgers rebuilt" : "ledgers from the dump",
	       (unsigned long long)(size >> 20), t_load,
	       (unsigned long long)(rep.mapped_bytes >> 10), t_check,
	       rep.mapped_bytes ? t_check * 1e6 / ((double)rep.mapped_bytes / (1 << 20)) : 0.0);
	return rep.total ? 1 : 0;
}
