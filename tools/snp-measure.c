/* snp-measure: predicts the SNP launch digest (MEASUREMENT) of a guest from
 * a list of pages, with the same code the PSP model runs (snp/measure.c).
 * Prints 96 lowercase hex characters on stdout and nothing else; -v shows
 * every PAGE_INFO on stderr. Errors: a message on stderr, exit status 2.
 * Input syntax and the image launch convention: docs/measure.md. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv/svm/cpuid.h"
#include "snp/measure.h"
#include "hv/svm/vmsa.h"
#include "hv/vm/linux_boot.h"
#include "hv/vm/linux_snp.h"

#define MAX_GPA (1ULL << 52) /* SNP guest physical addresses are at most 52 bits */

/* One line of input: the 4 KiB pages [start, end) of one type, measured in
 * ascending order. Contents (NORMAL, VMSA) come from file at offset, zero
 * padded past its end; no file means zero-filled contents. */
struct item {
	u64 start, end;
	enum snp_page_type type;
	char *file;
	u64 offset;
	u8 imi, vmpl1, vmpl2, vmpl3;
	u8 *page;     /* contents built here (--vmsa-boot*, --page-tables): end - start bytes */
	bool tables;  /* --page-tables: page built once --cbit is known */
	char *origin; /* where it came from, for messages */
};

static struct item *items;
static size_t nitems;
static int verbose;

static void __printf(1, 2) __noreturn fail(const char *fmt, ...)
{
	va_list ap;

	fputs("snp-measure: error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static void usage(FILE *f)
{
	fputs("usage: snp-measure [-v] [--page GPA[-END]:TYPE[:FILE[:OFFSET]]]... [--layout "
	      "FILE]...\n"
	      "                   [--image FILE --load GPA] [--memory SIZE]\n"
	      "                   [--vmsa-boot ENTRY:BOOTPARAMS[:SEVFEATURES]]...\n"
	      "                   [--page-tables] [--cbit N] [--vmsa-boot64 "
	      "ENTRY:BOOTPARAMS[:SEVFEATURES]]\n"
	      "       snp-measure --linux BZIMAGE [--initrd FILE] [--cmdline STR] [--pci] --memory SIZE\n"
	      "  --linux: an SNP Linux guest as snpvisor launches it (docs/linux.md)\n"
	      "  --pci: that guest has devices (a PCI root bridge in its DSDT)\n"
	      "  --cbit: C-bit of the --page-tables entries (default 52, snpvisor's; 0: none)\n"
	      "  TYPE: normal | vmsa | zero | unmeasured | secrets | cpuid\n"
	      "  Pages are measured in command-line order; END is the inclusive last byte.\n"
	      "  Prints the launch digest as 96 hex characters. See docs/measure.md.\n",
	      f);
}

static char *xstrdup(const char *s)
{
	char *d = strdup(s);

	if (!d)
		fail("out of memory");
	return d;
}

static bool parse_u64(const char *s, u64 *out)
{
	char *end;
	unsigned long long v;

	if (!*s || *s == '-' || *s == '+' || *s == ' ')
		return false;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end)
		return false;
	*out = v;
	return true;
}

static u64 parse_gpa(const char *s, const char *origin)
{
	u64 v;

	if (!parse_u64(s, &v))
		fail("%s: bad GPA '%s' (want a number such as 0x100000)", origin, s);
	if (v >= MAX_GPA)
		fail("%s: GPA %s is beyond the 52-bit guest physical address space", origin, s);
	return v;
}

static u64 parse_size(const char *s)
{
	char buf[64], *suffix;
	u64 v, mult = 1;
	size_t n = strlen(s);

	if (n == 0 || n >= sizeof(buf))
		fail("bad size '%s'", s);
	strcpy(buf, s);
	suffix = buf + n - 1;
	switch (*suffix) {
	case 'K':
	case 'k':
		mult = KiB(1);
		break;
	case 'M':
	case 'm':
		mult = MiB(1);
		break;
	case 'G':
	case 'g':
		mult = GiB(1);
		break;
	default:
		suffix = NULL;
	}
	if (suffix)
		*suffix = '\0';
	if (!parse_u64(buf, &v) || v > MAX_GPA / mult)
		fail("bad size '%s' (want a number with an optional K, M or G suffix)", s);
	return v * mult;
}

static u8 parse_u8(const char *s, const char *what, const char *origin)
{
	u64 v;

	if (!parse_u64(s, &v) || v > 0xff)
		fail("%s: bad %s '%s' (want 0..255)", origin, what, s);
	return (u8)v;
}

/* "GPA" or "START-END" (END inclusive, the last byte of the last page). */
static void parse_range(struct item *it, const char *s)
{
	char buf[128];
	char *dash;

	if (strlen(s) >= sizeof(buf))
		fail("%s: bad address '%s'", it->origin, s);
	strcpy(buf, s);
	dash = strchr(buf, '-');
	if (dash)
		*dash = '\0';
	it->start = parse_gpa(buf, it->origin);
	if (!IS_ALIGNED(it->start, PAGE_SIZE))
		fail("%s: GPA %#llx is not 4 KiB aligned", it->origin,
		     (unsigned long long)it->start);
	if (!dash) {
		it->end = it->start + PAGE_SIZE;
		return;
	}
	it->end = parse_gpa(dash + 1, it->origin);
	if (it->end < it->start || !IS_ALIGNED(it->end + 1, PAGE_SIZE))
		fail("%s: range end %s must be the last byte of a page at or after %#llx "
		     "(e.g. 0x3fffff)",
		     it->origin, dash + 1, (unsigned long long)it->start);
	it->end++;
}

static void parse_type(struct item *it, const char *s)
{
	int t = snp_page_type_parse(s);

	if (t < 0)
		fail("%s: unknown page type '%s' (want normal, vmsa, zero, unmeasured, secrets "
		     "or cpuid)",
		     it->origin, s);
	it->type = t;
}

static void set_file(struct item *it, const char *file, const char *offset)
{
	if (!snp_page_type_has_contents(it->type))
		fail("%s: type %s has no measured contents, so it takes no file", it->origin,
		     snp_page_type_name(it->type));
	it->file = xstrdup(file);
	if (offset && !parse_u64(offset, &it->offset))
		fail("%s: bad file offset '%s'", it->origin, offset);
}

static struct item *new_item(const char *origin)
{
	struct item *it;

	items = realloc(items, (nitems + 1) * sizeof(*items));
	if (!items)
		fail("out of memory");
	it = &items[nitems++];
	memset(it, 0, sizeof(*it));
	it->origin = xstrdup(origin);
	return it;
}

/* --page GPA[-END]:TYPE[:FILE[:OFFSET]] */
static void add_page_arg(const char *arg)
{
	char origin[300], *s = xstrdup(arg), *f[4] = {0};
	struct item *it;
	int n = 0;

	snprintf(origin, sizeof(origin), "--page %s", arg);
	it = new_item(origin);
	for (char *p = s; n < 4; n++) {
		f[n] = p;
		p = n < 3 ? strchr(p, ':') : NULL;
		if (!p) {
			n++;
			break;
		}
		*p++ = '\0';
	}
	if (n < 2 || !*f[1])
		fail("%s: want GPA:TYPE[:FILE[:OFFSET]]", origin);
	parse_range(it, f[0]);
	parse_type(it, f[1]);
	if (n >= 3)
		set_file(it, f[2], n >= 4 ? f[3] : NULL);
	free(s);
}

/* --vmsa-boot ENTRY:BOOTPARAMS[:SEVFEATURES]: one VMSA page with the boot
 * state hv/svm/vmsa.c builds (the hypervisor's own function), measured at
 * SNP_VMSA_GPA. SEVFEATURES defaults to SVM_SEV_FEAT_SNP_ACTIVE. */
static void add_vmsa_boot(const char *arg, bool boot64)
{
	char origin[300], *s = xstrdup(arg), *f[3] = {0}, *p = s;
	u64 entry, params, features = SVM_SEV_FEAT_SNP_ACTIVE;
	struct item *it;
	int n = 0;

	snprintf(origin, sizeof(origin), "%s %s", boot64 ? "--vmsa-boot64" : "--vmsa-boot", arg);
	while (p && n < 3) {
		f[n++] = p;
		p = strchr(p, ':');
		if (p)
			*p++ = '\0';
	}
	if (p || n < 2)
		fail("%s: want ENTRY:BOOTPARAMS[:SEVFEATURES]", origin);
	if (!parse_u64(f[0], &entry) || entry > 0xffffffffULL)
		fail("%s: bad entry '%s' (want a GPA below 4 GiB: the guest starts in 32-bit mode)",
		     origin, f[0]);
	if (!parse_u64(f[1], &params) || params > 0xffffffffULL)
		fail("%s: bad boot-params GPA '%s' (want a GPA below 4 GiB: it goes in EBX)",
		     origin, f[1]);
	if (n == 3 && !parse_u64(f[2], &features))
		fail("%s: bad SEV features '%s'", origin, f[2]);
	it = new_item(origin);
	it->type = SNP_PAGE_TYPE_VMSA;
	it->start = SNP_VMSA_GPA;
	it->end = SNP_VMSA_GPA + PAGE_SIZE;
	it->page = malloc(PAGE_SIZE);
	if (!it->page)
		fail("out of memory");
	if (boot64)
		vmsa_page_build_boot64(it->page, entry, params, features);
	else
		vmsa_page_build_boot(it->page, entry, params, features);
	free(s);
}

/* --page-tables: the SNP boot page tables the hypervisor launches (NORMAL)
 * at SNP_BOOT_PT_GPA, built by hv/svm/vmsa.c snp_boot_tables_build. */
static void add_page_tables(void)
{
	struct item *it = new_item("--page-tables");

	it->type = SNP_PAGE_TYPE_NORMAL;
	it->start = SNP_BOOT_PT_GPA;
	it->end = SNP_BOOT_PT_END;
	it->page = malloc(SNP_BOOT_PT_PAGES * PAGE_SIZE);
	if (!it->page)
		fail("out of memory");
	it->tables = true; /* built after the arguments: --cbit may come later */
}

/* --cbit N: 0 (no C-bit) or SNP_CBIT_MIN..SNP_CBIT_MAX */
static unsigned parse_cbit(const char *s)
{
	char *end;
	unsigned long v = strtoul(s, &end, 0);

	if (!*s || *end || (v && (v < SNP_CBIT_MIN || v > SNP_CBIT_MAX)))
		fail("--cbit %s: want 0 (none) or a bit position %d..%d", s, SNP_CBIT_MIN,
		     SNP_CBIT_MAX);
	return (unsigned)v;
}

/* An image with an SNP image header (snp/measure.h) is launched as its file
 * pages (NORMAL) followed by ZERO pages up to the header's memory size: the
 * ZERO item goes right after the image's item. Without a header only the
 * file is measured (any flat file; the hypervisor refuses such an SNP guest). */
static void add_image_tail(size_t image_item, const u8 *data, size_t len)
{
	const char *why;
	u64 mem, start, end;
	struct item *it;
	char origin[320];
	struct item tail;

	if (snp_image_parse(data, len, &mem, &why) == -ENOEXEC)
		return;
	if (why)
		fail("%s: %s", items[image_item].origin, why);
	start = items[image_item].end;
	end = items[image_item].start + ALIGN_UP(mem, PAGE_SIZE);
	if (end <= start)
		return;
	if (end > MAX_GPA)
		fail("%s: memory size %#llx runs past the 52-bit GPA space",
		     items[image_item].origin, (unsigned long long)mem);
	snprintf(origin, sizeof(origin), "%s (.bss, ZERO)", items[image_item].origin);
	tail = *new_item(origin); /* appended (may move items), then moved in place */
	memmove(&items[image_item + 2], &items[image_item + 1],
		(nitems - image_item - 2) * sizeof(*items));
	it = &items[image_item + 1];
	*it = tail;
	it->type = SNP_PAGE_TYPE_ZERO;
	it->start = start;
	it->end = end;
}

/* A layout line: GPA[-END] TYPE [FILE [OFFSET]] [imi=N] [vmpl1=N] [vmpl2=N] [vmpl3=N].
 * A relative FILE is relative to the layout file's directory. */
static void add_layout_line(char *line, const char *origin, const char *dir)
{
	char *tok[8], *save = NULL, *file = NULL, *offset = NULL;
	struct item *it;
	int n = 0, pos = 0;

	for (char *t = strtok_r(line, " \t\r\n", &save); t; t = strtok_r(NULL, " \t\r\n", &save)) {
		if (n == (int)ARRAY_SIZE(tok))
			fail("%s: too many fields", origin);
		tok[n++] = t;
	}
	if (!n)
		return;
	it = new_item(origin);
	if (n < 2)
		fail("%s: want 'GPA[-END] TYPE [FILE [OFFSET]] [imi=N vmplN=N ...]'", origin);
	parse_range(it, tok[0]);
	parse_type(it, tok[1]);
	for (int i = 2; i < n; i++) {
		char *eq = strchr(tok[i], '=');

		if (!eq) {
			if (pos == 0)
				file = tok[i];
			else if (pos == 1)
				offset = tok[i];
			else
				fail("%s: unexpected field '%s'", origin, tok[i]);
			pos++;
			continue;
		}
		*eq = '\0';
		if (!strcmp(tok[i], "imi"))
			it->imi = parse_u8(eq + 1, "imi", origin);
		else if (!strcmp(tok[i], "vmpl1"))
			it->vmpl1 = parse_u8(eq + 1, "vmpl1", origin);
		else if (!strcmp(tok[i], "vmpl2"))
			it->vmpl2 = parse_u8(eq + 1, "vmpl2", origin);
		else if (!strcmp(tok[i], "vmpl3"))
			it->vmpl3 = parse_u8(eq + 1, "vmpl3", origin);
		else
			fail("%s: unknown option '%s' (want imi, vmpl1, vmpl2 or vmpl3)", origin,
			     tok[i]);
	}
	if (file) {
		char path[4096];

		if (file[0] != '/' && dir)
			snprintf(path, sizeof(path), "%s/%s", dir, file);
		else
			snprintf(path, sizeof(path), "%s", file);
		set_file(it, path, offset);
	}
}

static void add_layout(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[4096], origin[4200], *dir = xstrdup(path), *slash = strrchr(dir, '/');
	unsigned int lineno = 0;

	if (!f)
		fail("cannot open layout %s: %s", path, strerror(errno));
	if (slash)
		*slash = '\0';
	while (fgets(line, sizeof(line), f)) {
		char *hash = strchr(line, '#');

		lineno++;
		if (!strchr(line, '\n') && !feof(f))
			fail("%s:%u: line too long", path, lineno);
		if (hash)
			*hash = '\0';
		snprintf(origin, sizeof(origin), "%s:%u", path, lineno);
		add_layout_line(line, origin, slash ? dir : NULL);
	}
	fclose(f);
	free(dir);
}

static u8 *read_file(const char *path, size_t *len, const char *origin)
{
	FILE *f = fopen(path, "rb");
	u8 *buf = NULL;
	size_t cap = 0, n = 0, r;

	if (!f)
		fail("%s: cannot open %s: %s", origin, path, strerror(errno));
	do {
		if (n == cap) {
			cap = cap ? 2 * cap : 1 << 16;
			buf = realloc(buf, cap);
			if (!buf)
				fail("out of memory reading %s", path);
		}
		r = fread(buf + n, 1, cap - n, f);
		n += r;
	} while (r);
	if (ferror(f))
		fail("%s: cannot read %s", origin, path);
	fclose(f);
	*len = n;
	return buf;
}

static int cmp_start(const void *a, const void *b)
{
	const struct item *x = *(const struct item *const *)a, *y = *(const struct item *const *)b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* No GPA may be launched twice: the firmware would refuse the second
 * LAUNCH_UPDATE of an already assigned page. A VMSA counts at its real GPA. */
static void check_ranges(u64 memory)
{
	static struct item **v; /* static: still reachable when fail() exits */

	size_t n = 0;

	v = malloc(nitems * sizeof(*v));
	if (!v)
		fail("out of memory");
	for (size_t i = 0; i < nitems; i++) {
		if (items[i].type == SNP_PAGE_TYPE_VMSA && items[i].page)
			continue; /* --vmsa-boot: no guest GPA of its own */
		v[n++] = &items[i];
		if (memory && items[i].end > memory)
			fail("%s: pages up to %#llx lie beyond guest memory (--memory %#llx)",
			     items[i].origin, (unsigned long long)items[i].end - 1,
			     (unsigned long long)memory);
	}
	qsort(v, n, sizeof(*v), cmp_start);
	for (size_t i = 1; i < n; i++)
		if (v[i]->start < v[i - 1]->end)
			fail("overlapping pages: %s and %s both cover GPA %#llx", v[i - 1]->origin,
			     v[i]->origin, (unsigned long long)v[i]->start);
	free(v);
}

static void print_hex(FILE *f, const void *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%02x", ((const u8 *)p)[i]);
}

static void measure_item(struct snp_measure *m, const struct item *it, unsigned long *step)
{
	static u8 *data; /* static: still reachable when fail() exits */
	u8 page[PAGE_SIZE];
	size_t len = 0;

	data = NULL;

	if (it->file) {
		data = read_file(it->file, &len, it->origin);
		if (it->offset > len || (it->offset == len && len))
			fail("%s: offset %#llx is at or past the end of %s (%zu bytes)", it->origin,
			     (unsigned long long)it->offset, it->file, len);
	}
	for (u64 gpa = it->start, off = it->offset; gpa < it->end; gpa += PAGE_SIZE) {
		struct snp_page_info pi;
		size_t take = off < len ? MIN(len - off, PAGE_SIZE) : 0;

		memset(page, 0, sizeof(page));
		if (it->page)
			memcpy(page, it->page + (gpa - it->start), PAGE_SIZE);
		else if (take)
			memcpy(page, data + off, take);
		off += PAGE_SIZE;
		snp_page_info_build(&pi, m, gpa, it->type, page, it->imi, it->vmpl3, it->vmpl2,
				    it->vmpl1);
		snp_measure_extend(m, &pi);
		if (verbose) {
			fprintf(stderr,
				"step %lu: %s gpa=%#llx type=%s imi=%u vmpl1=%u vmpl2=%u "
				"vmpl3=%u\n  page_info=",
				++*step, it->origin, (unsigned long long)pi.gpa,
				snp_page_type_name(it->type), pi.imi_page, pi.vmpl1_perms,
				pi.vmpl2_perms, pi.vmpl3_perms);
			print_hex(stderr, &pi, sizeof(pi));
			fputs("\n  digest=", stderr);
			print_hex(stderr, m->digest, sizeof(m->digest));
			fputc('\n', stderr);
		}
	}
	free(data);
}

/* --linux: the launch of an SNP Linux guest, measured from the same layout
 * the hypervisor launches (hv/vm/linux_snp.c): every range in GPA order,
 * then the VMSA. */
struct lmeasure {
	struct snp_measure *m;
	unsigned long step;
};

static int measure_range(void *ctx, const struct linux_snp_seg *r)
{
	struct lmeasure *lm = ctx;
	u8 page[PAGE_SIZE];

	if (r->type == LINUX_SNP_HOLE)
		return 0;
	for (u64 off = 0; off < r->len; off += PAGE_SIZE) {
		const void *contents = NULL;

		if (r->type == SNP_PAGE_TYPE_NORMAL) {
			u64 n = off < r->src_len ? MIN(r->src_len - off, PAGE_SIZE) : 0;

			memset(page, 0, sizeof(page));
			if (n)
				memcpy(page, (const u8 *)r->src + off, n);
			contents = page;
		}
		snp_measure_page(lm->m, r->gpa + off, (enum snp_page_type)r->type, contents, 0, 0,
				 0, 0);
		if (verbose)
			fprintf(stderr, "%lu: gpa 0x%llx %s\n", lm->step,
				(unsigned long long)(r->gpa + off),
				snp_page_type_name((enum snp_page_type)r->type));
		lm->step++;
	}
	return 0;
}

static int measure_linux(const char *kernel, const char *initrd, const char *cmdline, u64 memory,
			 unsigned cbit, bool pci_bus)
{
	static struct linux_snp_layout L;
	struct linux_mem_region mem[3];
	struct linux_boot_config cfg;
	struct linux_boot_plan plan;
	struct linux_setup_item cc;
	struct linux_image img;
	struct snp_measure m;
	struct lmeasure lm = {&m, 0};
	char why[LINUX_BOOT_ERR_LEN > 96 ? LINUX_BOOT_ERR_LEN : 96] = "";
	char hex[SNP_DIGEST_HEX_LEN + 1];
	size_t klen, ilen = 0;
	u8 *k, *rd = NULL;

	if (!memory)
		fail("--linux needs --memory SIZE");
	k = read_file(kernel, &klen, "--linux");
	if (initrd)
		rd = read_file(initrd, &ilen, "--initrd");
	if (linux_image_parse(k, klen, &img, why))
		fail("--linux %s: %s", kernel, why);
	linux_guest_boot_config(&cfg, mem, memory, cmdline ? cmdline : "", ilen);
	linux_snp_setup_item(&L, &cc);
	cfg.setup = &cc;
	cfg.nr_setup = 1;
	if (linux_boot_plan(&img, &cfg, &plan, why))
		fail("--linux %s: cannot be placed in %llu MiB: %s", kernel,
		     (unsigned long long)(memory >> 20), why);
	if (linux_snp_layout_build(&L, &img, &cfg, &plan, rd, NULL, cbit, memory, pci_bus, why))
		fail("--linux %s: layout: %s", kernel, why);
	snp_measure_init(&m);
	linux_snp_walk(&L, measure_range, &lm);
	snp_measure_page(&m, 0, SNP_PAGE_TYPE_VMSA, L.vmsa, 0, 0, 0, 0);
	snp_measure_hex(&m, hex);
	puts(hex);
	free(k);
	free(rd);
	return 0;
}

int main(int argc, char **argv)
{
	const char *linux_k = NULL, *linux_rd = NULL, *linux_cl = NULL;
	const char *image = NULL, *load = NULL;
	u64 memory = 0;
	size_t image_item = 0;
	struct snp_measure m;
	char hex[SNP_DIGEST_HEX_LEN + 1];
	unsigned long step = 0;
	unsigned cbit = GUEST_CBIT;
	bool pci_bus = false;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		bool has_val = !strcmp(a, "--page") || !strcmp(a, "--layout") ||
			       !strcmp(a, "--image") || !strcmp(a, "--load") ||
			       !strcmp(a, "--memory") || !strcmp(a, "--vmsa-boot") ||
			       !strcmp(a, "--vmsa-boot64") || !strcmp(a, "--cbit") ||
			       !strcmp(a, "--linux") || !strcmp(a, "--initrd") ||
			       !strcmp(a, "--cmdline");

		if (has_val && i + 1 >= argc)
			fail("%s needs a value", a);
		if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
			verbose = 1;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(a, "--page")) {
			add_page_arg(argv[++i]);
		} else if (!strcmp(a, "--layout")) {
			add_layout(argv[++i]);
		} else if (!strcmp(a, "--image")) {
			if (image)
				fail("--image given twice");
			image = argv[++i];
			/* placeholder, filled in once --load is known */
			new_item("--image");
			image_item = nitems - 1;
		} else if (!strcmp(a, "--load")) {
			load = argv[++i];
		} else if (!strcmp(a, "--vmsa-boot")) {
			add_vmsa_boot(argv[++i], false);
		} else if (!strcmp(a, "--vmsa-boot64")) {
			add_vmsa_boot(argv[++i], true);
		} else if (!strcmp(a, "--page-tables")) {
			add_page_tables();
		} else if (!strcmp(a, "--cbit")) {
			cbit = parse_cbit(argv[++i]);
		} else if (!strcmp(a, "--memory")) {
			memory = parse_size(argv[++i]);
		} else if (!strcmp(a, "--linux")) {
			linux_k = argv[++i];
		} else if (!strcmp(a, "--initrd")) {
			linux_rd = argv[++i];
		} else if (!strcmp(a, "--cmdline")) {
			linux_cl = argv[++i];
		} else if (!strcmp(a, "--pci")) {
			pci_bus = true;
		} else {
			usage(stderr);
			fail("unknown argument '%s'", a);
		}
	}
	if (linux_k) {
		if (nitems || image)
			fail("--linux measures a whole Linux guest: no --page, --image or --vmsa-*");
		return measure_linux(linux_k, linux_rd, linux_cl, memory, cbit, pci_bus);
	}
	if (linux_rd || linux_cl || pci_bus)
		fail("--initrd, --cmdline and --pci go with --linux");
	if (image || load) {
		struct item *it = &items[image_item];
		char origin[300];
		size_t len;
		u8 *data;

		if (!image || !load)
			fail("--image and --load go together");
		snprintf(origin, sizeof(origin), "--image %s", image);
		free(it->origin);
		it->origin = xstrdup(origin);
		it->type = SNP_PAGE_TYPE_NORMAL;
		it->start = parse_gpa(load, it->origin);
		if (!IS_ALIGNED(it->start, PAGE_SIZE))
			fail("--load %s: GPA is not 4 KiB aligned", load);
		data = read_file(image, &len, it->origin);
		if (!len)
			fail("--image %s: the image is empty", image);
		if (it->start + ALIGN_UP(len, PAGE_SIZE) > MAX_GPA)
			fail("--image %s: %zu bytes at %s run past the 52-bit GPA space", image,
			     len, load);
		it->end = it->start + ALIGN_UP(len, PAGE_SIZE);
		it->file = xstrdup(image);
		add_image_tail(image_item, data, len);
		free(data);
	}
	for (size_t i = 0; i < nitems; i++)
		if (items[i].tables)
			snp_boot_tables_build(items[i].page, cbit);
	if (!nitems)
		fail("nothing to measure: give --page, --layout, --image or --vmsa-boot");
	check_ranges(memory);
	snp_measure_init(&m);
	for (size_t i = 0; i < nitems; i++)
		measure_item(&m, &items[i], &step);
	snp_measure_hex(&m, hex);
	puts(hex);
	return 0;
}
