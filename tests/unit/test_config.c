/* Unit tests of hv/base/config.c: the hv.cfg parser (format: docs/config.md). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv/base/config.h"

static struct hv_config cfg;
static struct config_error err;

/* A file that sets every key. Line numbers matter to the tests below. */
static const char good[] = "# snpvisor test configuration\n"			  /* 1 */
			   "\n"							  /* 2 */
			   "[hv]\n"						  /* 3 */
			   "scenario = boot            # trailing comment\n"	  /* 4 */
			   "log = debug\n"					  /* 5 */
			   "xcheck = end\n"					  /* 6 */
			   "iommu_mode = shared\n"				  /* 7 */
			   "snp = emulated\n"					  /* 8 */
			   "timeslice_us = 5000\n"				  /* 9 */
			   "max_exits = 0\n"					  /* 10 */
			   "\n"							  /* 11 */
			   "[guest alpha]\n"					  /* 12 */
			   "image = hello.bin\n"				  /* 13 */
			   "load = 0x200000\n"					  /* 14 */
			   "entry = 0x200040\n"					  /* 15 */
			   "memory = 16M\n"					  /* 16 */
			   "page_size = 4K\n"					  /* 17 */
			   "snp = on\n"						  /* 18 */
			   "device = 00:04.0 trusted\n"				  /* 19 */
			   "device = 1f:1f.7   untrusted\n"			  /* 20 */
			   "args = \"mode=fast # not a comment\"   # a comment\n" /* 21 */
			   "expect = triple_fault\n"				  /* 22 */
			   "\n"							  /* 23 */
			   "  [ guest   beta ]   # indented header\n"		  /* 24 */
			   "\timage = \"BETA_64.BIN\"\n"			  /* 25 */
			   "memory = 1G\n"					  /* 26 */
			   "snp = off\n"					  /* 27 */
			   "device = 00:05.0 untrusted\n";			  /* 28 */

static int parse(const char *text)
{
	memset(&err, 0x5a, sizeof(err));
	return config_parse(text, strlen(text), &cfg, &err);
}

/* Assert that text fails on line with a message containing what. */
static void check_error(const char *text, int line, const char *what)
{
	int r = parse(text);

	if (r != -EINVAL)
		fail_msg("parse returned %d, expected -EINVAL, for:\n%s", r, text);
	if (err.line != line || !strstr(err.msg, what))
		fail_msg("got hv.cfg:%d: %s\nexpected line %d with \"%s\", for:\n%s", err.line,
			 err.msg, line, what, text);
	assert_true(strlen(err.msg) < sizeof(err.msg));
}

static void check_good_values(void)
{
	const struct cfg_guest *a = &cfg.guests[0], *b = &cfg.guests[1];

	assert_string_equal(cfg.scenario, "boot");
	assert_int_equal(cfg.log, LOG_DEBUG);
	assert_int_equal(cfg.xcheck, CFG_XCHECK_END);
	assert_int_equal(cfg.iommu_mode, CFG_IOMMU_SHARED);
	assert_int_equal(cfg.snp, CFG_SNP_EMULATED);
	assert_int_equal(cfg.timeslice_us, 5000);
	assert_int_equal(cfg.max_exits, 0);
	assert_int_equal(cfg.n_guests, 2);

	assert_string_equal(a->name, "alpha");
	assert_int_equal(a->line, 12);
	assert_string_equal(a->image, "hello.bin");
	assert_int_equal(gpa_val(a->load), 0x200000);
	assert_int_equal(gpa_val(a->entry), 0x200040);
	assert_int_equal(a->memory, MiB(16));
	assert_int_equal(a->page_size, PAGE_SIZE);
	assert_true(a->snp);
	assert_int_equal(a->n_devices, 2);
	assert_int_equal(a->devices[0].bdf, 0x0020);
	assert_true(a->devices[0].trusted);
	assert_int_equal(a->devices[1].bdf, 0x1fff);
	assert_int_equal(cfg_bdf_bus(a->devices[1].bdf), 0x1f);
	assert_int_equal(cfg_bdf_dev(a->devices[1].bdf), 0x1f);
	assert_int_equal(cfg_bdf_fn(a->devices[1].bdf), 7);
	assert_false(a->devices[1].trusted);
	assert_string_equal(a->args, "mode=fast # not a comment");
	assert_int_equal(a->expect, CFG_EXPECT_TRIPLE_FAULT);

	assert_string_equal(b->name, "beta");
	assert_string_equal(b->image, "BETA_64.BIN");
	assert_int_equal(b->memory, GiB(1));
	assert_false(b->snp);
	assert_int_equal(b->n_devices, 1);
	assert_int_equal(b->devices[0].bdf, 0x0028);
	assert_ptr_equal(config_find_guest(&cfg, "beta"), b);
	assert_null(config_find_guest(&cfg, "gamma"));
}

static void test_good_full(void **state)
{
	(void)state;
	assert_int_equal(parse(good), 0);
	check_good_values();
	config_print(&cfg);
}

static void test_defaults(void **state)
{
	const struct cfg_guest *g;

	(void)state;
	assert_int_equal(parse("[guest g]\nimage = a.bin\nmemory = 2M\n"), 0);
	assert_string_equal(cfg.scenario, "guests");
	assert_int_equal(cfg.log, LOG_INFO);
	assert_int_equal(cfg.xcheck, CFG_XCHECK_ALWAYS);
	assert_int_equal(cfg.iommu_mode, CFG_IOMMU_DUPLICATED);
	assert_int_equal(cfg.snp, CFG_SNP_AUTO);
	assert_int_equal(cfg.timeslice_us, 10000);
	assert_int_equal(cfg.max_exits, 1000000);
	assert_int_equal(cfg.time_limit_ms, 10000);
	assert_int_equal(cfg.n_guests, 1);
	g = &cfg.guests[0];
	assert_int_equal(gpa_val(g->load), 0x100000);
	assert_int_equal(gpa_val(g->entry), 0x100000);
	assert_int_equal(g->page_size, HUGE_SIZE);
	assert_true(g->snp);
	assert_int_equal(g->n_devices, 0);
	assert_string_equal(g->args, "");
	assert_int_equal(g->expect, CFG_EXPECT_PASS);

	/* entry follows load when absent */
	assert_int_equal(parse("[guest g]\nload = 0x400000\nimage = a.bin\nmemory = 8M\n"), 0);
	assert_int_equal(gpa_val(cfg.guests[0].entry), 0x400000);

	/* [hv] snp = off: guests default to snp off */
	assert_int_equal(parse("[guest g]\nimage = a\nmemory = 2M\n[hv]\nsnp = off\n"), 0);
	assert_false(cfg.guests[0].snp);

	/* config_defaults alone */
	memset(&cfg, 0x77, sizeof(cfg));
	config_defaults(&cfg);
	assert_int_equal(cfg.n_guests, 0);
	assert_string_equal(cfg.scenario, "guests");
}

/* [hv] smp = on|off (hv/arch/x86/smp.h): on by default, on/off only, once, [hv] only. */
static void test_smp_key(void **state)
{
	(void)state;
	assert_int_equal(parse("[hv]\nscenario = boot\n"), 0);
	assert_true(cfg.smp);
	assert_int_equal(parse("[hv]\nsmp = off\n"), 0);
	assert_false(cfg.smp);
	assert_int_equal(parse("[hv]\nsmp = \"on\"  # quoted\n"), 0);
	assert_true(cfg.smp);
	check_error("[hv]\nsmp = 2\n", 2, "smp: \"2\"");
	check_error("[hv]\nsmp = off\nsmp = on\n", 3, "smp");
	check_error("[guest g]\nsmp = off\n", 2, "smp");
}

/* A Linux guest: kernel instead of image, initrd and cmdline only with it,
 * snp off by default, no load/entry/image beside it (docs/config.md). */
static void test_linux_keys(void **state)
{
	const struct cfg_guest *g = &cfg.guests[0];

	(void)state;
	assert_int_equal(parse("[guest lx]\nkernel = vmlinuz\ninitrd = initramfs.cpio\n"
			       "cmdline = \"console=ttyS0 # kept\"\nmemory = 1G\n"),
			 0);
	assert_string_equal(g->kernel, "vmlinuz");
	assert_string_equal(g->initrd, "initramfs.cpio");
	assert_string_equal(g->cmdline, "console=ttyS0 # kept");
	assert_string_equal(g->image, "");
	assert_false(g->snp);
	assert_int_equal(parse("[hv]\nsnp = emulated\n[guest lx]\nkernel = k\nmemory = 64M\n"
			       "snp = off\n[guest b]\nimage = b.bin\nmemory = 2M\n"),
			 0);
	assert_false(cfg.guests[0].snp);
	assert_string_equal(cfg.guests[0].initrd, "");
	assert_string_equal(cfg.guests[0].cmdline, "");
	assert_true(cfg.guests[1].snp);
	assert_string_equal(cfg.guests[1].kernel, "");
	check_error("[guest a]\nkernel = k\nimage = x\nmemory = 2M\n", 3, "either image or kernel");
	check_error("[guest a]\nkernel = k\nmemory = 2M\nload = 0x100000\n", 4,
		    "placed by the bzImage loader");
	check_error("[guest a]\nkernel = k\nentry = 0x200\nmemory = 2M\n", 3, "64-bit entry");
	check_error("[guest a]\nkernel = k\nmemory = 2M\nsnp_test = no-cc-blob\n", 4,
		    "snp_test: only for a Linux guest with snp = on");
	check_error("[guest a]\nkernel = k\nsnp = off\nmemory = 2M\nsnp_test = cpuid-forbidden\n",
		    5, "snp_test: only for a Linux guest");
	check_error("[guest a]\nimage = x\ninitrd = i\nmemory = 2M\n", 3,
		    "initrd: only a Linux guest");
	check_error("[guest a]\nimage = x\nmemory = 2M\ncmdline = quiet\n", 4,
		    "cmdline: only a Linux guest");
	check_error("[guest a]\nkernel = .hidden\nmemory = 2M\n", 2, "kernel");
	check_error("[guest a]\nkernel = k\nkernel = k\nmemory = 2M\n", 3, "duplicate key");
	check_error("[guest a]\nmemory = 2M\n", 1, "or \"kernel = FILE\"");
}

/* [hv] dump = on|off (hv/vm/dump.h): off by default, on/off only, once. */
static void test_dump_key(void **state)
{
	(void)state;
	assert_int_equal(parse("[hv]\nscenario = guests\n"), 0);
	assert_false(cfg.dump);
	assert_int_equal(parse("[hv]\ndump = on\n"), 0);
	assert_true(cfg.dump);
	assert_int_equal(parse("[hv]\ndump = \"off\"   # quoted\n"), 0);
	assert_false(cfg.dump);
	check_error("[hv]\ndump = yes\n", 2, "dump: \"yes\"");
	check_error("[hv]\ndump = on\ndump = off\n", 3, "dump");
	check_error("[guest g]\ndump = on\n", 2, "dump");
	config_print(&cfg);
}

/* [guest NAME] test_abi = on|off (the test-only hypercalls, docs/guest-abi.md):
 * off by default, per guest, on/off only, once, not in [hv]. */
static void test_test_abi_key(void **state)
{
	(void)state;
	assert_int_equal(parse("[guest a]\nimage = a.bin\nmemory = 2M\n"
			       "[guest b]\nimage = b.bin\nmemory = 2M\ntest_abi = on\n"),
			 0);
	assert_false(config_find_guest(&cfg, "a")->test_abi);
	assert_true(config_find_guest(&cfg, "b")->test_abi);
	assert_int_equal(parse("[guest a]\nimage = a.bin\nmemory = 2M\ntest_abi = \"off\"\n"), 0);
	assert_false(cfg.guests[0].test_abi);
	check_error("[guest a]\nimage = a.bin\nmemory = 2M\ntest_abi = yes\n", 4,
		    "test_abi: \"yes\"");
	check_error("[guest a]\nimage = a.bin\ntest_abi = on\ntest_abi = off\nmemory = 2M\n", 4,
		    "test_abi");
	check_error("[hv]\ntest_abi = on\n", 2, "test_abi");
	config_print(&cfg);
}

static void test_empty(void **state)
{
	(void)state;
	assert_int_equal(config_parse("", 0, &cfg, &err), 0);
	assert_int_equal(cfg.n_guests, 0);
	assert_string_equal(cfg.scenario, "guests");
	assert_int_equal(parse("\n\n   \n\t\n# just a comment\n"), 0);
	assert_int_equal(cfg.n_guests, 0);
	assert_int_equal(parse("[hv]\n"), 0);
	assert_int_equal(parse("[hv]"), 0);			      /* no final newline */
	assert_int_equal(parse("\xef\xbb\xbf[hv]\nlog = warn\n"), 0); /* UTF-8 BOM */
	assert_int_equal(cfg.log, LOG_WARN);
}

static char *to_crlf(const char *s)
{
	char *out = malloc(2 * strlen(s) + 1), *o = out;

	for (; *s; s++) {
		if (*s == '\n')
			*o++ = '\r';
		*o++ = *s;
	}
	*o = '\0';
	return out;
}

static void test_crlf(void **state)
{
	char *crlf = to_crlf(good);
	char *bad;

	(void)state;
	assert_int_equal(parse(crlf), 0);
	check_good_values();
	free(crlf);

	bad = to_crlf("[hv]\nlog = info\nxcheck = sometimes\n");
	check_error(bad, 3, "xcheck: \"sometimes\" is not one of never|end|always");
	free(bad);
	/* a lone CR inside a line is not a line end */
	check_error("[hv]\nlog = info\rx\n", 2, "control character 0x0d");
}

static void test_quoted(void **state)
{
	(void)state;
	assert_int_equal(parse("[guest q]\nimage = \"a#b.bin\"\nmemory = \"4M\"\n"
			       "args = \"x \\\"y\\\" \\\\ # z\"#c\n"),
			 -EINVAL); /* '#' is not a file name character */
	assert_int_equal(err.line, 2);
	assert_int_equal(parse("[guest q]\nimage = \"ab.bin\"  # c\nmemory = \"4M\"\n"
			       "args = \"x \\\"y\\\" \\\\ # z\"#c\n"),
			 0);
	assert_string_equal(cfg.guests[0].args, "x \"y\" \\ # z");
	assert_int_equal(cfg.guests[0].memory, MiB(4));
	assert_int_equal(parse("[guest q]\nimage=a\nmemory=2M\nargs = \"\"\n"), 0);
	assert_string_equal(cfg.guests[0].args, "");
	assert_int_equal(parse("[guest q]\nimage=a\nmemory=2M\nargs = plain words  # c\n"), 0);
	assert_string_equal(cfg.guests[0].args, "plain words");

	check_error("[hv]\nscenario = \"boot\n", 2, "missing closing");
	check_error("[hv]\nscenario = \"boot\" x\n", 2, "after the closing quote");
	check_error("[hv]\n\nscenario = \"bo\\ot\"\n", 3, "may follow");
}

static void test_err_structure(void **state)
{
	char line[400];
	char nul[] = "[hv]\nlog = info\nxch\0eck = end\n";

	(void)state;
	check_error("# c\n[foo]\n", 2, "unknown section [foo]");
	check_error("[hv\n", 1, "without ']'");
	check_error("[hv] x\n", 1, "unexpected text after ']'");
	check_error("[guest]\n", 1, "without a name");
	check_error("\n\nlog = info\n", 3, "outside any section");
	check_error("[hv]\nLog = info\n", 2, "lower-case");
	check_error("[hv]\nlog info\n", 2, "expected \"key = value\"");
	check_error("[hv]\n= info\n", 2, "missing key");
	check_error("[hv]\nlog =\n", 2, "log: missing value");
	check_error("[hv]\nlog = # nothing\n", 2, "log: missing value");

	/* line length: 256 is fine, 257 is not */
	memset(line, 0, sizeof(line));
	strcpy(line, "[hv]\n#");
	memset(line + 6, 'x', 255);
	strcat(line, "\n");
	assert_int_equal(parse(line), 0);
	line[strlen(line) - 1] = 'x';
	strcat(line, "\r\n"); /* CR does not count */
	assert_int_equal(parse(line), -EINVAL);
	assert_int_equal(err.line, 2);
	assert_non_null(strstr(err.msg, "longer than 256"));

	assert_int_equal(config_parse(nul, sizeof(nul) - 1, &cfg, &err), -EINVAL);
	assert_int_equal(err.line, 3);
	assert_non_null(strstr(err.msg, "NUL byte"));
	check_error("[hv]\n\x01\n", 2, "control character 0x01");
}

static void test_err_keys(void **state)
{
	(void)state;
	check_error("[hv]\nlog = info\nfoo = 1\n", 3, "unknown key \"foo\" in [hv]");
	check_error("[guest a]\nimage = x\nload_addr = 1\n", 3,
		    "unknown key \"load_addr\" in [guest a]");
	check_error("[hv]\nlog = info\n\nlog = warn\n", 4,
		    "log: duplicate key (already set on line 2)");
	check_error("[guest a]\nimage = x\nmemory = 2M\nimage = y\n", 4, "image: duplicate key");
	check_error("[hv]\n[hv]\n", 2, "duplicate [hv] section (first on line 1)");
	/* the same key in different guests is fine */
	assert_int_equal(parse("[guest a]\nimage=x\nmemory=2M\n[guest b]\nimage=x\nmemory=2M\n"),
			 0);
}

static void test_err_values(void **state)
{
	(void)state;
	check_error("[hv]\ntimeslice_us = 12a\n", 2, "\"12a\" is not a number");
	check_error("[hv]\ntimeslice_us = -5\n", 2, "is not a number");
	check_error("[hv]\ntimeslice_us = 0x\n", 2, "is not a number");
	check_error("[hv]\nmax_exits = 99999999999999999999\n", 2, "too large");
	check_error("[hv]\ntimeslice_us = 5\n", 2,
		    "timeslice_us: \"5\" is out of range (10..10000000)");
	check_error("[hv]\nscenario = Boot\n", 2, "scenario: \"Boot\" must be a word");
	check_error("[hv]\nscenario = aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n", 2,
		    "too long (at most 31");
	check_error("[hv]\nlog = verbose\n", 2, "is not one of err|warn|info|debug");
	check_error("[hv]\niommu_mode = both\n", 2, "is not one of duplicated|shared");
	check_error("[hv]\nsnp = yes\n", 2, "is not one of off|emulated|hardware|auto");
	check_error("[guest a]\nimage = x\nmemory = 15M\n", 3,
		    "memory: \"15M\" is not a multiple of 2M");
	check_error("[guest a]\nimage = x\nmemory = 16X\n", 3,
		    "bad size suffix \"X\" (use K, M or G)");
	check_error("[guest a]\nimage = x\nmemory = 16MB\n", 3, "bad size suffix \"MB\"");
	check_error("[guest a]\nimage = x\nmemory = 16m\n", 3, "bad size suffix");
	check_error("[guest a]\nimage = x\nmemory = M\n", 3, "is not a number");
	check_error("[guest a]\nimage = x\nmemory = 0\n", 3, "out of range (2M..64G)");
	check_error("[guest a]\nimage = x\nmemory = 99999999999G\n", 3, "too large");
	check_error("[guest a]\npage_size = 1G\n", 2, "is not 4K or 2M");
	check_error("[guest a]\nsnp = true\n", 2, "is not one of off|on");
	check_error("[guest a]\nexpect = crash\n", 2,
		    "is not one of pass|fail|triple_fault|npf|killed|timeout");
	check_error("[guest a]\nload = 0x100100\n", 2,
		    "load: \"0x100100\" is not a multiple of 4K");
	check_error("[guest a]\nload = 0x1000000000\n", 2, "out of range");
	check_error("[guest a]\nimage = ../x\n", 2, "must be a file name");
	check_error("[guest a]\nimage = .hidden\n", 2, "must not start with '.'");
	check_error("[guest a]\nimage = "
		    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
		    2, "too long (at most 64");
	check_error("[guest a]\nargs = \""
		    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"\n",
		    2, "args: too long (129 characters, at most 128)");
	check_error("[guest a]\ndevice = 00:04.0\n", 2, "is not \"bb:dd.f trusted|untrusted\"");
	check_error("[guest a]\ndevice = 0:4:0 trusted\n", 2, "is not \"bb:dd.f");
	check_error("[guest a]\ndevice = 000:04.0 trusted\n", 2, "is not \"bb:dd.f");
	check_error("[guest a]\ndevice = 00:20.0 trusted\n", 2, "device number is too large");
	check_error("[guest a]\ndevice = 00:04.8 trusted\n", 2, "function number is too large");
	check_error("[guest a]\ndevice = 00:04.0 maybe\n", 2, "trusted or untrusted");
}

static void test_err_guests(void **state)
{
	(void)state;
	check_error("[guest a]\nimage = x\nmemory = 2M\n[guest b]\nimage = y\nmemory = 2M\n"
		    "[guest a]\n",
		    7, "duplicate guest name \"a\" (first on line 1)");
	check_error("[guest Alpha]\n", 1, "guest name \"Alpha\" must be a word");
	check_error("[guest abcdefghijklmnop]\n", 1, "too long (at most 15");
	check_error("[guest a b]\n", 1, "must be a word");
	check_error("[guest a]\nimage = x\nmemory = 2M\ndevice = 00:04.0 trusted\n"
		    "[guest b]\nimage = y\nmemory = 2M\ndevice = 00:04.0 untrusted\n",
		    8, "00:04.0 is already given to guest a on line 4");
	check_error("[guest a]\nimage = x\nmemory = 2M\ndevice = 00:04.0 trusted\n"
		    "device = 00:04.0 untrusted\n",
		    5, "already given to guest a");
	check_error("[guest a]\ndevice = 00:01.0 trusted\ndevice = 00:02.0 trusted\n"
		    "device = 00:03.0 trusted\ndevice = 00:04.0 trusted\n"
		    "device = 00:05.0 trusted\n",
		    6, "too many devices for guest a (at most 4)");
	check_error("[hv]\n[guest a]\nmemory = 2M\n\n[hv]\n", 2,
		    "[guest a]: missing \"image = FILE\"");
	check_error("\n[guest a]\nimage = x\n", 2, "[guest a]: missing \"memory = SIZE\"");
	check_error("[guest a]\nimage = x\nload = 0x400000\nmemory = 4M\n", 3,
		    "load: 0x400000 is outside the guest's 4M of memory");
	check_error("[guest a]\nimage = x\nentry = 0x200000\nmemory = 2M\n", 3,
		    "entry: 0x200000 is outside");
	check_error("[hv]\nsnp = off\n[guest a]\nimage = x\nmemory = 2M\nsnp = on\n", 6,
		    "asks for SNP but [hv] snp = off (line 2)");
}

static void test_limits(void **state)
{
	char text[2048];
	size_t n = 0;

	(void)state;
	for (int i = 0; i < 9; i++)
		n += (size_t)sprintf(text + n, "[guest g%d]\nimage = g.bin\nmemory = 2M\n", i);
	/* 8 guests: 24 lines */
	assert_int_equal(config_parse(text, n / 9 * 8, &cfg, &err), 0);
	assert_int_equal(cfg.n_guests, 8);
	assert_string_equal(cfg.guests[7].name, "g7");
	check_error(text, 25, "too many guests: at most 8");

	assert_int_equal(parse("[guest a]\nimage = x\nmemory = 64G\n"), 0);
	assert_int_equal(cfg.guests[0].memory, GiB(64));
	assert_int_equal(parse("[guest a]\nimage = x\nmemory = 65536M\n"), 0);
	assert_int_equal(parse("[guest a]\nimage = x\nmemory = 0x1000000000\n"), 0);
	check_error("[guest a]\nimage = x\nmemory = 65G\n", 3, "\"65G\" is out of range (2M..64G)");
	check_error("[guest a]\nimage = x\nmemory = 0x1000200000\n", 3, "out of range");
	assert_int_equal(parse("[guest a]\nimage = x\nmemory = 2048K\n"), 0);
	check_error("[guest a]\nimage = x\nmemory = 1M\n", 3, "out of range (2M..64G)");

	/* load and entry at the top of memory */
	assert_int_equal(parse("[guest a]\nimage = x\nmemory = 4M\nload = 0x3ff000\n"
			       "entry = 0x3fffff\n"),
			 0);
	assert_int_equal(parse("[guest a]\nimage = x\nmemory = 64G\nload = 0xffffff000\n"), 0);

	assert_int_equal(parse("[hv]\ntimeslice_us = 10\nmax_exits = 1000000000000000\n"), 0);
	check_error("[hv]\ntimeslice_us = 10000001\n", 2, "out of range");
	assert_int_equal(parse("[hv]\ntime_limit_ms = 100\n"), 0);
	assert_int_equal(cfg.time_limit_ms, 100);
	assert_int_equal(parse("[hv]\ntime_limit_ms = 3600000\n"), 0);
	check_error("[hv]\ntime_limit_ms = 99\n", 2, "out of range");
	check_error("[hv]\ntime_limit_ms = 3600001\n", 2, "out of range");
	check_error("[hv]\nmax_exits = 1000000000000001\n", 2, "out of range");
	assert_int_equal(parse("[hv]\nmax_exits = 18446744073709551615\n"), -EINVAL);
	check_error("[hv]\nmax_exits = 18446744073709551616\n", 2, "too large");
	assert_int_equal(parse("[guest abcdefghijklmno]\nimage=x\nmemory=2M\n"), 0);
}

static void test_null_err_logs(void **state)
{
	static const char bad[] = "[hv]\nlog = loud\n";

	(void)state;
	assert_int_equal(config_parse(bad, sizeof(bad) - 1, &cfg, NULL), -EINVAL);
}

static void test_enum_helpers(void **state)
{
	enum cfg_xcheck x;
	enum cfg_iommu_mode im;
	enum cfg_snp_mode s;
	enum cfg_expect e;
	enum log_level l;
	char b[24];

	(void)state;
	for (int i = 0; i < CFG_XCHECK_COUNT; i++) {
		assert_int_equal(cfg_xcheck_from_name(cfg_xcheck_name(i), &x), 0);
		assert_int_equal(x, i);
	}
	for (int i = 0; i < CFG_IOMMU_COUNT; i++) {
		assert_int_equal(cfg_iommu_mode_from_name(cfg_iommu_mode_name(i), &im), 0);
		assert_int_equal(im, i);
	}
	for (int i = 0; i < CFG_SNP_COUNT; i++) {
		assert_int_equal(cfg_snp_mode_from_name(cfg_snp_mode_name(i), &s), 0);
		assert_int_equal(s, i);
	}
	for (int i = 0; i < CFG_EXPECT_COUNT; i++) {
		assert_int_equal(cfg_expect_from_name(cfg_expect_name(i), &e), 0);
		assert_int_equal(e, i);
	}
	for (int i = LOG_ERR; i <= LOG_DEBUG; i++) {
		assert_int_equal(cfg_log_from_name(cfg_log_name(i), &l), 0);
		assert_int_equal(l, i);
	}
	assert_string_equal(cfg_expect_name(CFG_EXPECT_NPF), "npf");
	assert_string_equal(cfg_expect_name(CFG_EXPECT_COUNT), "?");
	assert_int_equal(cfg_snp_mode_from_name("HARDWARE", &s), -EINVAL);

	assert_string_equal(cfg_format_size(MiB(16), b, sizeof(b)), "16M");
	assert_string_equal(cfg_format_size(GiB(64), b, sizeof(b)), "64G");
	assert_string_equal(cfg_format_size(KiB(4), b, sizeof(b)), "4K");
	assert_string_equal(cfg_format_size(MiB(1) + 512, b, sizeof(b)), "1049088");
	assert_string_equal(cfg_format_size(0, b, sizeof(b)), "0");
}

static void test_demo_cfg(void **state)
{
	const char *root = getenv("SNPV_ROOT");
	char path[4096], *buf;
	const struct cfg_guest *a, *b, *l;
	FILE *f;
	long n;

	(void)state;
	snprintf(path, sizeof(path), "%s/guest/demo.cfg", root ? root : ".");
	f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	if (config_parse(buf, (size_t)n, &cfg, &err))
		fail_msg("%s:%d: %s", path, err.line, err.msg);
	free(buf);
	assert_string_equal(cfg.scenario, "demo");
	assert_int_equal(cfg.n_guests, 3);
	a = config_find_guest(&cfg, "alpha");
	b = config_find_guest(&cfg, "beta");
	l = config_find_guest(&cfg, "linux");
	assert_non_null(a);
	assert_non_null(b);
	assert_non_null(l);
	assert_true(a->snp && b->snp);
	assert_int_equal(a->n_devices, 1);
	assert_int_equal(a->devices[0].bdf, 0x0018);
	assert_true(a->devices[0].trusted);
	assert_int_equal(b->n_devices, 1);
	assert_int_equal(b->devices[0].bdf, 0x0020);
	assert_false(b->devices[0].trusted);
	assert_true(a->test_abi && b->test_abi); /* edutest's HC_DMA_PHASE */
	/* the SNP Linux guest with its untrusted NVMe disk after the two edus,
	 * printing through the tty (no snpv.out=kmsg: docs/linux.md) */
	assert_true(l->snp);
	assert_string_equal(l->kernel, "vmlinuz");
	assert_string_equal(l->initrd, "initramfs.cpio");
	assert_int_equal(l->n_devices, 1);
	assert_int_equal(l->devices[0].bdf, 0x0028);
	assert_false(l->devices[0].trusted);
	assert_false(l->test_abi);
	assert_non_null(strstr(l->cmdline, "console=ttyS0"));
	assert_null(strstr(l->cmdline, "snpv.out=kmsg"));
	config_print(&cfg);
}

/* ---- robustness ----------------------------------------------------------------- */

static int count_lines(const char *t, size_t n)
{
	int lines = 0;

	for (size_t i = 0; i < n; i++)
		if (t[i] == '\n')
			lines++;
	if (n && t[n - 1] != '\n')
		lines++;
	return lines;
}

static bool has_nul(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!s[i])
			return true;
	return false;
}

/* Either success with a sane result or an error on an existing line. */
static void check_robust(const char *t, size_t n)
{
	int r;

	memset(&err, 0x5a, sizeof(err));
	r = config_parse(t, n, &cfg, &err);
	if (r) {
		assert_int_equal(r, -EINVAL);
		if (err.line < 1 || err.line > count_lines(t, n))
			fail_msg("error line %d outside 1..%d: %s", err.line, count_lines(t, n),
				 err.msg);
		assert_true(memchr(err.msg, '\0', sizeof(err.msg)) != NULL);
		assert_true(err.msg[0] != '\0');
		return;
	}
	assert_false(has_nul(t, n));
	assert_true(cfg.n_guests <= CFG_MAX_GUESTS);
	for (u32 i = 0; i < cfg.n_guests; i++) {
		const struct cfg_guest *g = &cfg.guests[i];

		assert_true(g->n_devices <= CFG_MAX_DEVICES);
		assert_true(g->memory >= CFG_MEM_MIN && g->memory <= CFG_MEM_MAX);
		assert_true(gpa_val(g->load) < g->memory && gpa_val(g->entry) < g->memory);
		assert_true(strlen(g->name) >= 1 && strlen(g->name) <= CFG_NAME_MAX);
		assert_true(strlen(g->image) >= 1 && strlen(g->image) <= CFG_IMAGE_MAX);
		assert_true(strlen(g->args) <= CFG_ARGS_MAX);
	}
}

static void test_every_prefix(void **state)
{
	size_t n = strlen(good);
	int ok = 0;

	(void)state;
	for (size_t i = 0; i <= n; i++) {
		/* a heap copy of exactly i bytes, so ASan sees any overread */
		char *t = malloc(i ? i : 1);

		memcpy(t, good, i);
		check_robust(t, i);
		ok += config_parse(t, i, &cfg, &err) == 0;
		free(t);
	}
	assert_true(ok > 0);
}

static u64 rng_state = 0x9e3779b97f4a7c15ULL;

static u64 rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void test_mutations(void **state)
{
	static const char special[] = "\n\r\0#[]=\" \t\\:.xKMG0f";
	size_t n = strlen(good);
	int ok = 0, failed = 0;

	(void)state;
	for (int iter = 0; iter < 5000; iter++) {
		char *t = malloc(n + 16);
		size_t len = n;
		int edits = 1 + (int)(rng() % 4);

		memcpy(t, good, n);
		for (int e = 0; e < edits; e++) {
			size_t at = len ? rng() % len : 0;
			char c = (rng() & 1) ? (char)rng() : special[rng() % (sizeof(special) - 1)];

			switch (rng() % 3) {
			case 0: /* replace */
				if (len)
					t[at] = c;
				break;
			case 1: /* insert */
				if (len < n + 16) {
					memmove(t + at + 1, t + at, len - at);
					t[at] = c;
					len++;
				}
				break;
			default: /* delete */
				if (len) {
					memmove(t + at, t + at + 1, len - at - 1);
					len--;
				}
				break;
			}
		}
		check_robust(t, len);
		if (config_parse(t, len, &cfg, &err) == 0)
			ok++;
		else
			failed++;
		free(t);
	}
	/* both outcomes must occur, or the mutations are not exercising anything */
	assert_true(ok > 100 && failed > 100);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_good_full),	  cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_empty),	  cmocka_unit_test(test_crlf),
	    cmocka_unit_test(test_quoted),	  cmocka_unit_test(test_err_structure),
	    cmocka_unit_test(test_err_keys),	  cmocka_unit_test(test_err_values),
	    cmocka_unit_test(test_err_guests),	  cmocka_unit_test(test_limits),
	    cmocka_unit_test(test_null_err_logs), cmocka_unit_test(test_enum_helpers),
	    cmocka_unit_test(test_demo_cfg),	  cmocka_unit_test(test_every_prefix),
	    cmocka_unit_test(test_mutations),	  cmocka_unit_test(test_dump_key),
	    cmocka_unit_test(test_smp_key),	  cmocka_unit_test(test_test_abi_key),
	    cmocka_unit_test(test_linux_keys),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
