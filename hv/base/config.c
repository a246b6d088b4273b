/* hv.cfg parser: INI-like text -> struct hv_config (format: docs/config.md).
 *
 * One pass over the lines; each section kind has a table with one row per
 * key (type, limits, destination offset), so a new key is one new row. Checks
 * that need a whole section (missing keys, load/entry inside memory) run when
 * the section ends, checks across sections (snp) at the end of the file. The
 * first error stops the parse and is returned with its line number. Messages
 * are built by hand (no printf family) so this file needs only string.h. */
#include "hv/base/config.h"

#include <errno.h>
#include <string.h>

/* ---- enum <-> string --------------------------------------------------- */

static const char *const log_names[] = {"err", "warn", "info", "debug"};
static const char *const xcheck_names[] = {"never", "end", "always"};
static const char *const iommu_names[] = {"duplicated", "shared"};
static const char *const snp_names[] = {"off", "emulated", "hardware", "auto"};
static const char *const expect_names[] = {"pass", "fail",   "triple_fault",
					   "npf",  "killed", "timeout"};
static const char *const bool_names[] = {"off", "on"};
static const char *const snp_test_names[] = {"none", "cpuid-forbidden", "no-cc-blob",
						"sev-status-unsupported"};
static const char *const trust_names[] = {"untrusted", "trusted"};

_Static_assert(ARRAY_SIZE(log_names) == LOG_DEBUG + 1, "log names");
_Static_assert(ARRAY_SIZE(xcheck_names) == CFG_XCHECK_COUNT, "xcheck names");
_Static_assert(ARRAY_SIZE(iommu_names) == CFG_IOMMU_COUNT, "iommu names");
_Static_assert(ARRAY_SIZE(snp_names) == CFG_SNP_COUNT, "snp names");
_Static_assert(ARRAY_SIZE(expect_names) == CFG_EXPECT_COUNT, "expect names");
/* The table parser stores enums through an int pointer. */
_Static_assert(sizeof(enum log_level) == sizeof(int), "enum size");
_Static_assert(sizeof(enum cfg_xcheck) == sizeof(int), "enum size");
_Static_assert(sizeof(enum cfg_iommu_mode) == sizeof(int), "enum size");
_Static_assert(sizeof(enum cfg_snp_mode) == sizeof(int), "enum size");
_Static_assert(sizeof(enum cfg_expect) == sizeof(int), "enum size");

static const char *name_of(const char *const *names, unsigned n, unsigned v)
{
	return v < n ? names[v] : "?";
}

static int from_name(const char *const *names, unsigned n, const char *s)
{
	for (unsigned i = 0; i < n; i++)
		if (!strcmp(names[i], s))
			return (int)i;
	return -EINVAL;
}

#define ENUM_HELPERS(fn, type, names)                                                              \
	const char *fn##_name(type v)                                                              \
	{                                                                                          \
		return name_of(names, ARRAY_SIZE(names), (unsigned)v);                             \
	}                                                                                          \
	int fn##_from_name(const char *s, type *out)                                               \
	{                                                                                          \
		int i = from_name(names, ARRAY_SIZE(names), s);                                    \
		if (i < 0)                                                                         \
			return i;                                                                  \
		*out = (type)i;                                                                    \
		return 0;                                                                          \
	}

ENUM_HELPERS(cfg_log, enum log_level, log_names)
ENUM_HELPERS(cfg_xcheck, enum cfg_xcheck, xcheck_names)
ENUM_HELPERS(cfg_iommu_mode, enum cfg_iommu_mode, iommu_names)
ENUM_HELPERS(cfg_snp_mode, enum cfg_snp_mode, snp_names)
ENUM_HELPERS(cfg_expect, enum cfg_expect, expect_names)

/* ---- bounded message builder -------------------------------------------- */

struct msg {
	char *buf;
	size_t size, len;
};

static void m_c(struct msg *m, char c)
{
	if (m->len + 1 < m->size) {
		m->buf[m->len++] = c;
		m->buf[m->len] = '\0';
	}
}

static void m_s(struct msg *m, const char *s)
{
	while (*s)
		m_c(m, *s++);
}

static void m_u(struct msg *m, u64 v)
{
	char d[21];
	int i = 0;

	do {
		d[i++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (i)
		m_c(m, d[--i]);
}

static void m_hex(struct msg *m, u64 v, int min_digits)
{
	char d[16];
	int i = 0;

	do {
		d[i++] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v || i < min_digits);
	while (i)
		m_c(m, d[--i]);
}

/* A value in double quotes, at most 40 characters of it, non-printable bytes
 * as \xNN, so a message always fits and never contains control bytes. */
static void m_q(struct msg *m, const char *s)
{
	size_t n = strlen(s);

	m_c(m, '"');
	for (size_t i = 0; i < n && i < 40; i++) {
		u8 c = (u8)s[i];
		if (c < 0x20 || c >= 0x7f) {
			m_s(m, "\\x");
			m_hex(m, c, 2);
		} else {
			m_c(m, (char)c);
		}
	}
	if (n > 40)
		m_s(m, "...");
	m_c(m, '"');
}

const char *cfg_format_size(u64 bytes, char *buf, size_t size)
{
	struct msg m = {buf, size, 0};
	static const char units[] = "GMK";
	static const int shifts[] = {30, 20, 10};

	if (size)
		buf[0] = '\0';
	for (int i = 0; i < 3; i++) {
		if (bytes && IS_ALIGNED(bytes, 1ULL << shifts[i])) {
			m_u(&m, bytes >> shifts[i]);
			m_c(&m, units[i]);
			return buf;
		}
	}
	m_u(&m, bytes);
	return buf;
}

static void m_size(struct msg *m, u64 bytes)
{
	char b[24];

	m_s(m, cfg_format_size(bytes, b, sizeof(b)));
}

static void m_names(struct msg *m, const char *const *names, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		if (i)
			m_c(m, '|');
		m_s(m, names[i]);
	}
}

/* ---- key tables ------------------------------------------------------------ */

enum key_type {
	KT_WORD,      /* [a-z0-9_-]+ into a char array */
	KT_FILE,      /* ESP file name [A-Za-z0-9._-]+ into a char array */
	KT_STRING,    /* any text into a char array */
	KT_ENUM,      /* one of names[] into an int-sized enum */
	KT_U64,	      /* number in [min, max] */
	KT_GPA,	      /* number in [min, max], multiple of align, into a gpa_t */
	KT_SIZE,      /* size with K/M/G suffix in [min, max], multiple of align */
	KT_PAGE_SIZE, /* 4K or 2M */
	KT_BOOL,      /* on|off */
	KT_DEVICE,    /* bb:dd.f trusted|untrusted, appended to the guest */
};

struct key_desc {
	const char *name;
	enum key_type type;
	size_t off;  /* destination in struct hv_config or struct cfg_guest */
	size_t size; /* char arrays: buffer size including the NUL */
	u64 min, max, align;
	const char *const *names;
	unsigned n_names;
	bool repeat; /* may appear more than once in a section */
};

#define ENUM_ROW(n, base, field, tbl)                                                              \
	{                                                                                          \
		.name = n, .type = KT_ENUM, .off = offsetof(base, field), .names = tbl,            \
		.n_names = ARRAY_SIZE(tbl)                                                         \
	}

enum hv_key {
	HK_SCENARIO,
	HK_LOG,
	HK_XCHECK,
	HK_IOMMU,
	HK_SNP,
	HK_TIMESLICE,
	HK_MAX_EXITS,
	HK_DUMP,
	HK_TIME_LIMIT,
	HK_SMP,
	HK_N
};

static const struct key_desc hv_keys[HK_N] = {
    [HK_SCENARIO] = {.name = "scenario",
		     .type = KT_WORD,
		     .off = offsetof(struct hv_config, scenario),
		     .size = sizeof(((struct hv_config *)0)->scenario)},
    [HK_LOG] = ENUM_ROW("log", struct hv_config, log, log_names),
    [HK_XCHECK] = ENUM_ROW("xcheck", struct hv_config, xcheck, xcheck_names),
    [HK_IOMMU] = ENUM_ROW("iommu_mode", struct hv_config, iommu_mode, iommu_names),
    [HK_SNP] = ENUM_ROW("snp", struct hv_config, snp, snp_names),
    [HK_TIMESLICE] = {.name = "timeslice_us",
		      .type = KT_U64,
		      .off = offsetof(struct hv_config, timeslice_us),
		      .min = 10,
		      .max = 10000000},
    [HK_MAX_EXITS] = {.name = "max_exits",
		      .type = KT_U64,
		      .off = offsetof(struct hv_config, max_exits),
		      .min = 0,
		      .max = 1000000000000000ULL},
    [HK_DUMP] = {.name = "dump", .type = KT_BOOL, .off = offsetof(struct hv_config, dump)},
    [HK_SMP] = {.name = "smp", .type = KT_BOOL, .off = offsetof(struct hv_config, smp)},
    [HK_TIME_LIMIT] = {.name = "time_limit_ms",
		       .type = KT_U64,
		       .off = offsetof(struct hv_config, time_limit_ms),
		       .min = 100,
		       .max = 3600000},
};

enum guest_key {
	GK_IMAGE,
	GK_LOAD,
	GK_ENTRY,
	GK_MEMORY,
	GK_PAGE_SIZE,
	GK_SNP,
	GK_TEST_ABI,
	GK_DEVICE,
	GK_ARGS,
	GK_EXPECT,
	GK_KERNEL,
	GK_INITRD,
	GK_CMDLINE,
	GK_SNP_TEST,
	GK_N
};

static const struct key_desc guest_keys[GK_N] = {
    [GK_IMAGE] = {.name = "image",
		  .type = KT_FILE,
		  .off = offsetof(struct cfg_guest, image),
		  .size = sizeof(((struct cfg_guest *)0)->image)},
    [GK_LOAD] = {.name = "load",
		 .type = KT_GPA,
		 .off = offsetof(struct cfg_guest, load),
		 .max = CFG_MEM_MAX - PAGE_SIZE,
		 .align = PAGE_SIZE},
    [GK_ENTRY] = {.name = "entry",
		  .type = KT_GPA,
		  .off = offsetof(struct cfg_guest, entry),
		  .max = CFG_MEM_MAX - 1,
		  .align = 1},
    [GK_MEMORY] = {.name = "memory",
		   .type = KT_SIZE,
		   .off = offsetof(struct cfg_guest, memory),
		   .min = CFG_MEM_MIN,
		   .max = CFG_MEM_MAX,
		   .align = HUGE_SIZE},
    [GK_PAGE_SIZE] = {.name = "page_size",
		      .type = KT_PAGE_SIZE,
		      .off = offsetof(struct cfg_guest, page_size)},
    [GK_SNP] = {.name = "snp", .type = KT_BOOL, .off = offsetof(struct cfg_guest, snp)},
    [GK_TEST_ABI] = {.name = "test_abi",
		     .type = KT_BOOL,
		     .off = offsetof(struct cfg_guest, test_abi)},
    [GK_DEVICE] = {.name = "device", .type = KT_DEVICE, .repeat = true},
    [GK_ARGS] = {.name = "args",
		 .type = KT_STRING,
		 .off = offsetof(struct cfg_guest, args),
		 .size = sizeof(((struct cfg_guest *)0)->args)},
    [GK_EXPECT] = ENUM_ROW("expect", struct cfg_guest, expect, expect_names),
    [GK_KERNEL] = {.name = "kernel",
		   .type = KT_FILE,
		   .off = offsetof(struct cfg_guest, kernel),
		   .size = sizeof(((struct cfg_guest *)0)->kernel)},
    [GK_INITRD] = {.name = "initrd",
		   .type = KT_FILE,
		   .off = offsetof(struct cfg_guest, initrd),
		   .size = sizeof(((struct cfg_guest *)0)->initrd)},
    [GK_CMDLINE] = {.name = "cmdline",
		    .type = KT_STRING,
		    .off = offsetof(struct cfg_guest, cmdline),
		    .size = sizeof(((struct cfg_guest *)0)->cmdline)},
    [GK_SNP_TEST] = ENUM_ROW("snp_test", struct cfg_guest, snp_test, snp_test_names),
};

_Static_assert(HK_N <= 32 && GK_N <= 32, "seen masks are u32");

/* ---- parser state ------------------------------------------------------------ */

enum section { SEC_NONE, SEC_HV, SEC_GUEST };

/* Where things were set, for messages about them later. 0 = not set. */
struct guest_lines {
	int key[GK_N];
	int device[CFG_MAX_DEVICES];
};

struct parser {
	struct hv_config *cfg;
	struct config_error *err;
	struct msg m;
	int line;
	enum section sec;
	struct cfg_guest *g; /* current guest in SEC_GUEST */
	int hv_line;	     /* line of the [hv] header, 0 if none yet */
	int hv_key_line[HK_N];
	struct guest_lines gl[CFG_MAX_GUESTS];
};

/* Start an error message at line; the caller appends to p->m and returns
 * -EINVAL. */
static struct msg *fail_at(struct parser *p, int line)
{
	p->err->line = line;
	p->m = (struct msg){p->err->msg, sizeof(p->err->msg), 0};
	p->err->msg[0] = '\0';
	return &p->m;
}

static struct msg *fail(struct parser *p)
{
	return fail_at(p, p->line);
}

/* "KEY: VALUE " prefix of a message about a value. */
static struct msg *fail_val(struct parser *p, const struct key_desc *k, const char *v)
{
	struct msg *m = fail(p);

	m_s(m, k->name);
	m_s(m, ": ");
	m_q(m, v);
	m_c(m, ' ');
	return m;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

static bool is_lower_word(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

static bool is_file_char(char c)
{
	return is_lower_word(c) || (c >= 'A' && c <= 'Z') || c == '.';
}

static int digit_val(char c, unsigned base)
{
	int d;

	if (c >= '0' && c <= '9')
		d = c - '0';
	else if (c >= 'a' && c <= 'f')
		d = c - 'a' + 10;
	else if (c >= 'A' && c <= 'F')
		d = c - 'A' + 10;
	else
		return -1;
	return (unsigned)d < base ? d : -1;
}

/* Decimal or 0x hex digits at s. -EINVAL if there are none, -ERANGE if the
 * value does not fit in 64 bits; *end points after the digits. Our own
 * because strtoull's errno and sign handling differ between libcs. */
static int parse_number(const char *s, u64 *out, const char **end)
{
	unsigned base = 10;
	const char *p = s, *digits;
	u64 v = 0;
	int d;

	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	}
	digits = p;
	while ((d = digit_val(*p, base)) >= 0) {
		if (v > (UINT64_MAX - (u64)d) / base)
			return -ERANGE;
		v = v * base + (u64)d;
		p++;
	}
	if (p == digits)
		return -EINVAL;
	*out = v;
	*end = p;
	return 0;
}

static int bad_number(struct parser *p, const struct key_desc *k, const char *v, int r)
{
	struct msg *m = fail_val(p, k, v);

	if (r == -ERANGE)
		m_s(m, "is too large a number");
	else
		m_s(m, "is not a number (use decimal or 0x hex digits)");
	return -EINVAL;
}

static int check_range(struct parser *p, const struct key_desc *k, const char *v, u64 n, bool size)
{
	struct msg *m;

	if (n < k->min || n > k->max) {
		m = fail_val(p, k, v);
		m_s(m, "is out of range (");
		if (size) {
			m_size(m, k->min);
			m_s(m, "..");
			m_size(m, k->max);
		} else if (k->type == KT_GPA) {
			m_s(m, "0x");
			m_hex(m, k->min, 1);
			m_s(m, "..0x");
			m_hex(m, k->max, 1);
		} else {
			m_u(m, k->min);
			m_s(m, "..");
			m_u(m, k->max);
		}
		m_c(m, ')');
		return -EINVAL;
	}
	if (k->align > 1 && !IS_ALIGNED(n, k->align)) {
		m = fail_val(p, k, v);
		m_s(m, "is not a multiple of ");
		m_size(m, k->align);
		return -EINVAL;
	}
	return 0;
}

static int parse_u64_value(struct parser *p, const struct key_desc *k, const char *v, u64 *out)
{
	const char *end;
	int r = parse_number(v, out, &end);

	if (r)
		return bad_number(p, k, v, r);
	if (*end)
		return bad_number(p, k, v, -EINVAL);
	return check_range(p, k, v, *out, false);
}

/* NUMBER[K|M|G] -> bytes (no range check). */
static int parse_size_value(struct parser *p, const struct key_desc *k, const char *v, u64 *out)
{
	const char *end;
	unsigned shift;
	int r = parse_number(v, out, &end);
	struct msg *m;

	if (r)
		return bad_number(p, k, v, r);
	if (!end[0])
		shift = 0;
	else if (!end[1] && end[0] == 'K')
		shift = 10;
	else if (!end[1] && end[0] == 'M')
		shift = 20;
	else if (!end[1] && end[0] == 'G')
		shift = 30;
	else {
		m = fail_val(p, k, v);
		m_s(m, "has a bad size suffix ");
		m_q(m, end);
		m_s(m, " (use K, M or G)");
		return -EINVAL;
	}
	if (*out > (UINT64_MAX >> shift))
		return bad_number(p, k, v, -ERANGE);
	*out <<= shift;
	return 0;
}

static int parse_enum_value(struct parser *p, const struct key_desc *k, const char *v,
			    const char *const *names, unsigned n)
{
	int i = from_name(names, n, v);
	struct msg *m;

	if (i < 0) {
		m = fail_val(p, k, v);
		m_s(m, "is not one of ");
		m_names(m, names, n);
	}
	return i;
}

/* [a-z0-9_-]{1,size-1} (words) or an ESP file name; copied into dst. */
static int parse_name_value(struct parser *p, const struct key_desc *k, const char *v, char *dst)
{
	size_t n = strlen(v);
	struct msg *m;

	for (size_t i = 0; i < n; i++) {
		if (k->type == KT_WORD ? !is_lower_word(v[i]) : !is_file_char(v[i])) {
			m = fail_val(p, k, v);
			m_s(m, k->type == KT_WORD ? "must be a word of a-z 0-9 _ -"
						  : "must be a file name of A-Z a-z 0-9 . _ -");
			return -EINVAL;
		}
	}
	if (k->type == KT_FILE && v[0] == '.') {
		m = fail_val(p, k, v);
		m_s(m, "must not start with '.'");
		return -EINVAL;
	}
	if (n >= k->size) {
		m = fail_val(p, k, v);
		m_s(m, "is too long (at most ");
		m_u(m, k->size - 1);
		m_s(m, " characters)");
		return -EINVAL;
	}
	memcpy(dst, v, n + 1);
	return 0;
}

/* "bb:dd.f trusted|untrusted", 1-2 hex digits for bus and device. */
static int parse_device_value(struct parser *p, const struct key_desc *k, const char *v)
{
	static const char usage[] = "is not \"bb:dd.f trusted|untrusted\" (e.g. 00:04.0 trusted)";
	const unsigned limit[3] = {0xff, 0x1f, 7};
	const char sep[3] = {':', '.', ' '};
	unsigned part[3];
	const char *s = v;
	struct cfg_guest *g = p->g;
	struct msg *m;
	u16 bdf;
	int t;

	for (int i = 0; i < 3; i++) {
		unsigned val = 0, nd = 0;
		int d;

		while ((d = digit_val(*s, 16)) >= 0 && nd < 3) {
			val = val * 16 + (unsigned)d;
			nd++;
			s++;
		}
		if (!nd || nd > (i == 2 ? 1u : 2u) || (*s != sep[i] && !(i == 2 && *s == '\t'))) {
			m = fail_val(p, k, v);
			m_s(m, usage);
			return -EINVAL;
		}
		if (val > limit[i]) {
			m = fail_val(p, k, v);
			m_s(m, i == 0 ? "bus" : i == 1 ? "device" : "function");
			m_s(m, " number is too large (max ");
			m_hex(m, limit[i], 1);
			m_c(m, ')');
			return -EINVAL;
		}
		part[i] = val;
		s++;
	}
	while (is_space(*s))
		s++;
	t = from_name(trust_names, ARRAY_SIZE(trust_names), s);
	if (t < 0) {
		m = fail_val(p, k, v);
		m_s(m, "must end in trusted or untrusted");
		return -EINVAL;
	}
	bdf = (u16)(part[0] << 8 | part[1] << 3 | part[2]);
	for (u32 gi = 0; gi < p->cfg->n_guests; gi++) {
		const struct cfg_guest *o = &p->cfg->guests[gi];

		for (u32 di = 0; di < o->n_devices; di++) {
			if (o->devices[di].bdf != bdf)
				continue;
			m = fail(p);
			m_s(m, "device: ");
			m_hex(m, part[0], 2);
			m_c(m, ':');
			m_hex(m, part[1], 2);
			m_c(m, '.');
			m_hex(m, part[2], 1);
			m_s(m, " is already given to guest ");
			m_s(m, o->name);
			m_s(m, " on line ");
			m_u(m, (u64)p->gl[gi].device[di]);
			m_s(m, " (a device belongs to one guest)");
			return -EINVAL;
		}
	}
	if (g->n_devices >= CFG_MAX_DEVICES) {
		m = fail(p);
		m_s(m, "device: too many devices for guest ");
		m_s(m, g->name);
		m_s(m, " (at most ");
		m_u(m, CFG_MAX_DEVICES);
		m_c(m, ')');
		return -EINVAL;
	}
	p->gl[p->cfg->n_guests - 1].device[g->n_devices] = p->line;
	g->devices[g->n_devices].bdf = bdf;
	g->devices[g->n_devices].trusted = t == 1;
	g->n_devices++;
	return 0;
}

/* Store value v (already unquoted) for key k into base (the config or the
 * current guest). */
static int set_value(struct parser *p, const struct key_desc *k, void *base, const char *v)
{
	u8 *dst = (u8 *)base + k->off;
	size_t n = strlen(v);
	u64 num;
	int r;

	if (!n && k->type != KT_STRING) {
		struct msg *m = fail(p);

		m_s(m, k->name);
		m_s(m, ": missing value after '='");
		return -EINVAL;
	}
	switch (k->type) {
	case KT_WORD:
	case KT_FILE:
		return parse_name_value(p, k, v, (char *)dst);
	case KT_STRING:
		if (n >= k->size) {
			struct msg *m = fail(p);

			m_s(m, k->name);
			m_s(m, ": too long (");
			m_u(m, n);
			m_s(m, " characters, at most ");
			m_u(m, k->size - 1);
			m_c(m, ')');
			return -EINVAL;
		}
		memcpy(dst, v, n + 1);
		return 0;
	case KT_ENUM:
		r = parse_enum_value(p, k, v, k->names, k->n_names);
		if (r < 0)
			return r;
		*(int *)dst = r;
		return 0;
	case KT_BOOL:
		r = parse_enum_value(p, k, v, bool_names, ARRAY_SIZE(bool_names));
		if (r < 0)
			return r;
		*(bool *)dst = r == 1;
		return 0;
	case KT_U64:
		r = parse_u64_value(p, k, v, &num);
		if (!r)
			*(u64 *)dst = num;
		return r;
	case KT_GPA:
		r = parse_u64_value(p, k, v, &num);
		if (!r)
			*(gpa_t *)dst = gpa(num);
		return r;
	case KT_SIZE:
		r = parse_size_value(p, k, v, &num);
		if (!r)
			r = check_range(p, k, v, num, true);
		if (!r)
			*(u64 *)dst = num;
		return r;
	case KT_PAGE_SIZE:
		r = parse_size_value(p, k, v, &num);
		if (r)
			return r;
		if (num != PAGE_SIZE && num != HUGE_SIZE) {
			struct msg *m = fail_val(p, k, v);

			m_s(m, "is not 4K or 2M");
			return -EINVAL;
		}
		*(u64 *)dst = num;
		return 0;
	case KT_DEVICE:
		return parse_device_value(p, k, v);
	}
	return -EINVAL;
}

/* ---- sections ------------------------------------------------------------------- */

static void guest_defaults(struct cfg_guest *g)
{
	memset(g, 0, sizeof(*g));
	g->load = gpa(0x100000);
	g->entry = g->load;
	g->page_size = HUGE_SIZE;
	g->snp = true;
	g->expect = CFG_EXPECT_PASS;
}

void config_defaults(struct hv_config *out)
{
	memset(out, 0, sizeof(*out));
	memcpy(out->scenario, "guests", 7); /* the production path: both images have it */
	out->log = LOG_INFO;
	out->xcheck = CFG_XCHECK_ALWAYS;
	out->iommu_mode = CFG_IOMMU_DUPLICATED;
	out->snp = CFG_SNP_AUTO;
	out->timeslice_us = 10000;
	out->max_exits = 1000000;
	out->time_limit_ms = 10000;
	out->dump = false;
	out->smp = true;
}

/* A Linux guest (kernel = FILE): the bzImage loader places everything, the
 * guest runs plain (docs/linux.md): snp defaults to off, and image, load,
 * entry and snp = on do not go with it. */
static int finish_linux_guest(struct parser *p, struct cfg_guest *g, const struct guest_lines *gl)
{
	static const struct {
		enum guest_key k;
		const char *why;
	} clash[] = {
	    {GK_IMAGE, "image: a guest has either image or kernel, not both"},
	    {GK_LOAD, "load: a Linux guest is placed by the bzImage loader (remove load)"},
	    {GK_ENTRY, "entry: a Linux guest starts at its kernel's 64-bit entry (remove entry)"},
	};
	struct msg *m;

	for (unsigned i = 0; i < ARRAY_SIZE(clash); i++) {
		if (!gl->key[clash[i].k])
			continue;
		m = fail_at(p, gl->key[clash[i].k]);
		m_s(m, clash[i].why);
		return -EINVAL;
	}
	if (!gl->key[GK_SNP])
		g->snp = false; /* a Linux guest's default, whatever [hv] snp says */
	if (gl->key[GK_SNP_TEST] && !g->snp) {
		m = fail_at(p, gl->key[GK_SNP_TEST]);
		m_s(m, "snp_test: only for a Linux guest with snp = on");
		return -EINVAL;
	}
	g->load = gpa(0);
	g->entry = gpa(0);
	return 0;
}

/* Checks that need the whole [guest] section. */
static int finish_guest(struct parser *p)
{
	struct cfg_guest *g = p->g;
	const struct guest_lines *gl = &p->gl[p->cfg->n_guests - 1];
	struct msg *m;

	if ((!gl->key[GK_IMAGE] && !gl->key[GK_KERNEL]) || !gl->key[GK_MEMORY]) {
		m = fail_at(p, g->line);
		m_s(m, "[guest ");
		m_s(m, g->name);
		m_s(m, "]: missing ");
		m_s(m, !gl->key[GK_MEMORY] ? "\"memory = SIZE\" (e.g. memory = 16M)"
					   : "\"image = FILE\" (the guest binary on the ESP) or "
					     "\"kernel = FILE\" (a bzImage)");
		return -EINVAL;
	}
	if (gl->key[GK_KERNEL])
		return finish_linux_guest(p, g, gl);
	if (gl->key[GK_INITRD] || gl->key[GK_CMDLINE]) {
		m = fail_at(p, gl->key[gl->key[GK_INITRD] ? GK_INITRD : GK_CMDLINE]);
		m_s(m, gl->key[GK_INITRD] ? "initrd" : "cmdline");
		m_s(m, ": only a Linux guest has one (add \"kernel = FILE\" instead of image)");
		return -EINVAL;
	}
	if (!gl->key[GK_ENTRY])
		g->entry = g->load;
	if (gpa_val(g->load) >= g->memory || gpa_val(g->entry) >= g->memory) {
		bool load = gpa_val(g->load) >= g->memory;
		int line = gl->key[load ? GK_LOAD : GK_ENTRY];

		m = fail_at(p, line ? line : g->line);
		m_s(m, load ? "load: 0x" : "entry: 0x");
		m_hex(m, gpa_val(load ? g->load : g->entry), 1);
		m_s(m, " is outside the guest's ");
		m_size(m, g->memory);
		m_s(m, " of memory (raise memory or lower the address)");
		return -EINVAL;
	}
	return 0;
}

static int end_section(struct parser *p)
{
	int r = 0;

	if (p->sec == SEC_GUEST)
		r = finish_guest(p);
	p->sec = SEC_NONE;
	p->g = NULL;
	return r;
}

static int open_guest(struct parser *p, const char *name)
{
	size_t n = strlen(name);
	struct msg *m;

	for (size_t i = 0; i < n; i++) {
		if (!is_lower_word(name[i])) {
			m = fail(p);
			m_s(m, "guest name ");
			m_q(m, name);
			m_s(m, " must be a word of a-z 0-9 _ -");
			return -EINVAL;
		}
	}
	if (n > CFG_NAME_MAX) {
		m = fail(p);
		m_s(m, "guest name ");
		m_q(m, name);
		m_s(m, " is too long (at most 15 characters)");
		return -EINVAL;
	}
	for (u32 i = 0; i < p->cfg->n_guests; i++) {
		if (!strcmp(p->cfg->guests[i].name, name)) {
			m = fail(p);
			m_s(m, "duplicate guest name ");
			m_q(m, name);
			m_s(m, " (first on line ");
			m_u(m, (u64)p->cfg->guests[i].line);
			m_s(m, "): guest names must be unique");
			return -EINVAL;
		}
	}
	if (p->cfg->n_guests >= CFG_MAX_GUESTS) {
		m = fail(p);
		m_s(m, "too many guests: at most 8 [guest] sections");
		return -EINVAL;
	}
	p->g = &p->cfg->guests[p->cfg->n_guests++];
	guest_defaults(p->g);
	memcpy(p->g->name, name, n + 1);
	p->g->line = p->line;
	p->sec = SEC_GUEST;
	return 0;
}

/* s points after '[' of a trimmed line. */
static int parse_section(struct parser *p, char *s)
{
	char *close = strchr(s, ']'), *rest, *end;
	struct msg *m;
	int r;

	if (!close) {
		m = fail(p);
		m_s(m, "section header without ']': write [hv] or [guest NAME]");
		return -EINVAL;
	}
	for (rest = close + 1; is_space(*rest); rest++)
		;
	if (*rest && *rest != '#') {
		m = fail(p);
		m_s(m, "unexpected text after ']': ");
		m_q(m, rest);
		return -EINVAL;
	}
	while (is_space(*s))
		s++;
	for (end = close; end > s && is_space(end[-1]); end--)
		;
	*end = '\0';

	r = end_section(p);
	if (r)
		return r;
	if (!strcmp(s, "hv")) {
		if (p->hv_line) {
			m = fail(p);
			m_s(m, "duplicate [hv] section (first on line ");
			m_u(m, (u64)p->hv_line);
			m_s(m, "): merge them");
			return -EINVAL;
		}
		p->hv_line = p->line;
		p->sec = SEC_HV;
		return 0;
	}
	if (!strncmp(s, "guest", 5) && (!s[5] || is_space(s[5]))) {
		for (s += 5; is_space(*s); s++)
			;
		if (!*s) {
			m = fail(p);
			m_s(m, "guest section without a name: write [guest NAME]");
			return -EINVAL;
		}
		return open_guest(p, s);
	}
	m = fail(p);
	m_s(m, "unknown section [");
	m_s(m, s);
	m_s(m, "]: use [hv] or [guest NAME]");
	return -EINVAL;
}

/* ---- key = value ------------------------------------------------------------------------- */

/* Value text after '=' (leading blanks skipped) -> NUL-terminated value in
 * out (unquoted, unescaped; trailing comment and blanks removed). */
static int parse_value(struct parser *p, const char *key, const char *s, char *out)
{
	size_t n = 0;
	struct msg *m;

	if (*s != '"') {
		while (*s && *s != '#')
			out[n++] = *s++;
		while (n && is_space(out[n - 1]))
			n--;
		out[n] = '\0';
		return 0;
	}
	for (s++; *s != '"'; s++) {
		if (!*s) {
			m = fail(p);
			m_s(m, key);
			m_s(m, ": missing closing '\"'");
			return -EINVAL;
		}
		if (*s == '\\') {
			s++;
			if (*s != '"' && *s != '\\') {
				m = fail(p);
				m_s(m, key);
				m_s(m, ": only \\\" and \\\\ may follow '\\' inside quotes");
				return -EINVAL;
			}
		}
		out[n++] = *s;
	}
	out[n] = '\0';
	for (s++; is_space(*s); s++)
		;
	if (*s && *s != '#') {
		m = fail(p);
		m_s(m, key);
		m_s(m, ": unexpected text after the closing quote: ");
		m_q(m, s);
		return -EINVAL;
	}
	return 0;
}

static int parse_key_line(struct parser *p, char *s)
{
	char key[CFG_LINE_MAX + 1], value[CFG_LINE_MAX + 1];
	const struct key_desc *tbl;
	int *lines;
	unsigned n_keys, i;
	size_t kn = 0;
	struct msg *m;
	int r;

	while (*s && *s != '=' && !is_space(*s))
		key[kn++] = *s++;
	key[kn] = '\0';
	while (is_space(*s))
		s++;
	if (*s != '=') {
		m = fail(p);
		m_s(m, "expected \"key = value\", \"[section]\" or a # comment, not ");
		m_q(m, key);
		return -EINVAL;
	}
	if (!kn) {
		m = fail(p);
		m_s(m, "missing key before '='");
		return -EINVAL;
	}
	for (i = 0; i < kn; i++) {
		if (key[i] >= 'A' && key[i] <= 'Z') {
			m = fail(p);
			m_s(m, "key ");
			m_q(m, key);
			m_s(m, ": keys are lower-case");
			return -EINVAL;
		}
	}
	for (s++; is_space(*s); s++)
		;
	r = parse_value(p, key, s, value);
	if (r)
		return r;

	if (p->sec == SEC_NONE) {
		m = fail(p);
		m_s(m, "key ");
		m_q(m, key);
		m_s(m, " outside any section: put it under [hv] or [guest NAME]");
		return -EINVAL;
	}
	if (p->sec == SEC_HV) {
		tbl = hv_keys;
		n_keys = HK_N;
		lines = p->hv_key_line;
	} else {
		tbl = guest_keys;
		n_keys = GK_N;
		lines = p->gl[p->cfg->n_guests - 1].key;
	}
	for (i = 0; i < n_keys; i++)
		if (!strcmp(tbl[i].name, key))
			break;
	if (i == n_keys) {
		m = fail(p);
		m_s(m, "unknown key ");
		m_q(m, key);
		m_s(m, p->sec == SEC_HV ? " in [hv" : " in [guest ");
		m_s(m, p->sec == SEC_HV ? "" : p->g->name);
		m_c(m, ']');
		m_s(m, " (keys: ");
		for (unsigned j = 0; j < n_keys; j++) {
			m_s(m, j ? " " : "");
			m_s(m, tbl[j].name);
		}
		m_c(m, ')');
		return -EINVAL;
	}
	if (lines[i] && !tbl[i].repeat) {
		m = fail(p);
		m_s(m, key);
		m_s(m, ": duplicate key (already set on line ");
		m_u(m, (u64)lines[i]);
		m_s(m, "): keep one");
		return -EINVAL;
	}
	r = set_value(p, &tbl[i], p->sec == SEC_HV ? (void *)p->cfg : (void *)p->g, value);
	if (!r && !lines[i])
		lines[i] = p->line;
	return r;
}

/* One line, without its line end and known to hold no control bytes. */
static int parse_line(struct parser *p, char *s)
{
	while (is_space(*s))
		s++;
	if (!*s || *s == '#')
		return 0;
	if (*s == '[')
		return parse_section(p, s + 1);
	return parse_key_line(p, s);
}

/* Checks across sections, once the whole file is known. */
static int finish_file(struct parser *p)
{
	struct hv_config *cfg = p->cfg;
	struct msg *m;

	for (u32 i = 0; i < cfg->n_guests; i++) {
		struct cfg_guest *g = &cfg->guests[i];
		int snp_line = p->gl[i].key[GK_SNP];

		if (cfg->snp != CFG_SNP_OFF)
			continue;
		if (!snp_line) {
			g->snp = false; /* default follows [hv] snp = off */
		} else if (g->snp) {
			m = fail_at(p, snp_line);
			m_s(m, "snp: guest ");
			m_s(m, g->name);
			m_s(m, " asks for SNP but [hv] snp = off (line ");
			m_u(m, (u64)p->hv_key_line[HK_SNP]);
			m_s(m, "): set one of them differently");
			return -EINVAL;
		}
	}
	return 0;
}

int config_parse(const char *text, size_t len, struct hv_config *out, struct config_error *err)
{
	static const char bom[3] = {'\xef', '\xbb', '\xbf'};
	struct config_error local;
	struct parser p;
	size_t pos = 0;
	int r = 0;

	memset(&p, 0, sizeof(p));
	p.cfg = out;
	p.err = err ? err : &local;
	p.err->line = 0;
	p.err->msg[0] = '\0';
	config_defaults(out);
	if (len >= 3 && !memcmp(text, bom, 3))
		pos = 3;

	while (pos < len && !r) {
		char buf[CFG_LINE_MAX + 1];
		size_t start = pos, n;

		while (pos < len && text[pos] != '\n')
			pos++;
		n = pos - start;
		if (pos < len)
			pos++; /* the '\n' */
		if (n && text[start + n - 1] == '\r')
			n--;
		p.line++;
		for (size_t i = 0; i < n; i++) {
			u8 c = (u8)text[start + i];

			if (c >= 0x20 && c != 0x7f)
				continue;
			if (c == '\t')
				continue;
			if (c == 0) {
				m_s(fail(&p), "NUL byte in the file: hv.cfg must be plain text");
			} else {
				struct msg *m = fail(&p);

				m_s(m, "control character 0x");
				m_hex(m, c, 2);
				m_s(m, " in the line: hv.cfg must be plain text");
			}
			r = -EINVAL;
			break;
		}
		if (r)
			break;
		if (n > CFG_LINE_MAX) {
			struct msg *m = fail(&p);

			m_s(m, "line is longer than 256 characters (");
			m_u(m, n);
			m_s(m, "): shorten it");
			r = -EINVAL;
			break;
		}
		memcpy(buf, text + start, n);
		buf[n] = '\0';
		r = parse_line(&p, buf);
	}
	if (!r)
		r = end_section(&p);
	if (!r)
		r = finish_file(&p);
	if (r && !err)
		config_report(&local, NULL);
	return r ? -EINVAL : 0;
}

void config_report(const struct config_error *err, const char *file)
{
	pr_err("%s:%d: %s\n", file ? file : "hv.cfg", err->line, err->msg);
}

const struct cfg_guest *config_find_guest(const struct hv_config *cfg, const char *name)
{
	for (u32 i = 0; i < cfg->n_guests && i < CFG_MAX_GUESTS; i++)
		if (!strcmp(cfg->guests[i].name, name))
			return &cfg->guests[i];
	return NULL;
}

/* ---- effective configuration ------------------------------------------------------------ */

void config_print(const struct hv_config *cfg)
{
	char mem[24], pg[24];

	pr_info(
	    "config: scenario %s, log %s, xcheck %s, iommu_mode %s, snp %s, "
	    "timeslice_us %llu, max_exits %llu, time_limit_ms %llu, dump %s, smp %s, %u guest(s)\n",
	    cfg->scenario, cfg_log_name(cfg->log), cfg_xcheck_name(cfg->xcheck),
	    cfg_iommu_mode_name(cfg->iommu_mode), cfg_snp_mode_name(cfg->snp),
	    (unsigned long long)cfg->timeslice_us, (unsigned long long)cfg->max_exits,
	    (unsigned long long)cfg->time_limit_ms, cfg->dump ? "on" : "off",
	    cfg->smp ? "on" : "off", (unsigned)cfg->n_guests);
	for (u32 i = 0; i < cfg->n_guests && i < CFG_MAX_GUESTS; i++) {
		const struct cfg_guest *g = &cfg->guests[i];

		pr_info("config: guest %s: image %s, load 0x%llx, entry 0x%llx, memory %s, "
			"page_size %s, snp %s, expect %s\n",
			g->name, g->image, (unsigned long long)gpa_val(g->load),
			(unsigned long long)gpa_val(g->entry),
			cfg_format_size(g->memory, mem, sizeof(mem)),
			cfg_format_size(g->page_size, pg, sizeof(pg)), g->snp ? "on" : "off",
			cfg_expect_name(g->expect));
		for (u32 d = 0; d < g->n_devices && d < CFG_MAX_DEVICES; d++) {
			u16 bdf = g->devices[d].bdf;

			pr_info("config: guest %s: device %02x:%02x.%x %s\n", g->name,
				cfg_bdf_bus(bdf), cfg_bdf_dev(bdf), cfg_bdf_fn(bdf),
				g->devices[d].trusted ? "trusted" : "untrusted");
		}
		if (g->args[0])
			pr_info("config: guest %s: args \"%s\"\n", g->name, g->args);
		if (g->test_abi)
			pr_info("config: guest %s: test ABI on (HC_DMA_PHASE, HC_BENCH_MARK)\n",
				g->name);
		if (g->kernel[0])
			pr_info("config: guest %s: Linux kernel %s, initrd %s, cmdline \"%s\"\n",
				g->name, g->kernel, g->initrd[0] ? g->initrd : "(none)",
				g->cmdline);
	}
}
