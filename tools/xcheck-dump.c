/* xcheck-dump: the cross-checker offline, on a raw dump of machine memory
 * (QEMU monitor: `pmemsave 0 SIZE file`) and the table roots the hypervisor
 * prints (gmem_print_roots). Runs snp/xcheck with the same code, pointing the
 * fake physical window (tests/unit/host_env.h) at the dump.
 *
 * Usage: xcheck-dump DUMP ROOTS
 * ROOTS, one item per line ('#' comments):
 *   dump BASE                          SPA of the dump's first byte (default 0)
 *   rmp BASE SIZE NPFNS                the RMP table (optional: no SNP checks)
 *   guest NAME ASID MEM_SIZE NPT_ROOT [LEDGER_SPA]
 *   domain ID ROOT LEVELS TRUSTED      an IOMMU domain of the last guest
 * Without LEDGER_SPA the ledger is rebuilt from the NPT and the RMP (the NPT
 * is then the reference: I1 compares the domains against it). pmem's state is
 * not in the dump: owner and accounting checks (parts of I4/I5, I7) are off.
 * Exit status: 0 no violation, 1 violations, 2 usage or input error. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv/gmem.h"
#include "hv/log.h"
#include "hv/mem.h"
#include "hv/pt.h"
#include "snp/rmp.h"
#include "snp/xcheck.h"
#include "tests/unit/host_env.h"

#define MAX_GUESTS 16

static const struct rmp_ops dump_rmp_ops = {.name = "dump", .is_model = true};
static struct rmp rmp;
static bool have_rmp;
static struct gmem guests[MAX_GUESTS];
static bool has_ledger[MAX_GUESTS];
static unsigned nguests;

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
		} else if (!strcmp(name, "rmp") && sscanf(line, " rmp %lli %lli %lli", &a, &b, &c) == 3) {
			rmp.ops = &dump_rmp_ops;
			rmp.base = spa(a);
			rmp.size = b;
			rmp.npfns = c;
			have_rmp = true;
		} else if (!strcmp(name, "guest") &&
			   (n = sscanf(line, " guest %63s %lli %lli %lli %lli", name, &a, &b, &c, &d)) >= 4) {
			struct gmem *g;

			if (nguests == MAX_GUESTS || !b || !IS_ALIGNED(b, PAGE_SIZE) || b > GMEM_MAX_MEM)
				goto bad;
			g = &guests[nguests];
			snprintf(g->name, sizeof(g->name), "%.15s", name);
			g->asid = (u32)a;
			g->mem_size = b;
			g->nr_slots = b >> PAGE_SHIFT;
			g->max_page = HUGE_SIZE;
			pt_attach(&g->npt, &pt_fmt_npt, c, GMEM_NPT_LEVELS);
			if (n == 5) {
				g->ledger = phys_ptr(spa(d));
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
			pt_attach(&dm->pt, &pt_fmt_amdv1, b, (unsigned)c);
		} else {
			goto bad;
		}
	}
	return 0;
bad:
	fprintf(stderr, "xcheck-dump: roots line %u not understood: %s\n", ln, line);
	return -EINVAL;
}

int main(int argc, char **argv)
{
	static struct xcheck_report rep;
	const struct gmem *gs[MAX_GUESTS];
	struct xcheck_opts o = {.no_pmem = true};
	u64 base = 0, size;
	FILE *f;
	u8 *buf;

	if (argc != 3) {
		fprintf(stderr, "usage: xcheck-dump DUMP ROOTS\n");
		return 2;
	}
	f = fopen(argv[2], "r");
	if (!f || parse(f, &base)) {
		fprintf(stderr, "xcheck-dump: cannot read roots %s\n", argv[2]);
		return 2;
	}
	fclose(f);
	f = fopen(argv[1], "rb");
	if (!f || fseek(f, 0, SEEK_END) || (long)(size = (u64)ftell(f)) <= 0 ||
	    fseek(f, 0, SEEK_SET)) {
		fprintf(stderr, "xcheck-dump: cannot read dump %s\n", argv[1]);
		return 2;
	}
	buf = malloc(size);
	if (!buf || fread(buf, 1, size, f) != size) {
		fprintf(stderr, "xcheck-dump: cannot read %llu bytes of %s\n",
			(unsigned long long)size, argv[1]);
		return 2;
	}
	fclose(f);
	host_phys_window(buf, spa(base), size);
	if (have_rmp) {
		o.rmp_base = rmp.base;
		o.rmp_size = rmp.size;
	}
	for (unsigned i = 0; i < nguests; i++) {
		struct gmem *g = &guests[i];
		struct pt_walk_ops ops = {.leaf = rebuild_leaf};

		g->rmp = have_rmp && g->asid ? &rmp : NULL;
		if (!has_ledger[i]) {
			g->ledger = calloc(g->nr_slots, sizeof(u64));
			if (!g->ledger)
				return 2;
			if (pt_walk_all(&g->npt, &ops, g))
				fprintf(stderr, "xcheck-dump: guest %s: NPT walk stopped (corrupt)\n",
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
	log_level_max = LOG_INFO;
	xcheck_print(&rep);
	return rep.total ? 1 : 0;
}
