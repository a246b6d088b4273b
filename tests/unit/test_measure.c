/* Unit tests of snp/measure.c (the PAGE_INFO launch digest) and of
 * tools/snp-measure: the PAGE_INFO byte layout, golden digests computed by
 * the independent Python reference (tests/measure/reference.py), live
 * cross-checks against that reference through popen (skipped without
 * python3), the image launch convention, and the tool's error handling. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "snp/measure.h"
#include "hv/svm/vmsa.h"

static u8 pattern[PAGE_SIZE];
static char tmpdir[64];
static char tool[1024];
static const char *root;

static void hex_of(const struct snp_measure *m, char *out)
{
	snp_measure_hex(m, out);
}

static void assert_digest(const struct snp_measure *m, const char *want)
{
	char hex[SNP_DIGEST_HEX_LEN + 1];

	hex_of(m, hex);
	assert_string_equal(hex, want);
}

/* ---- the C API ------------------------------------------------------- */

static void test_page_info_layout(void **state)
{
	struct snp_measure m;
	struct snp_page_info pi;
	const u8 *b = (const u8 *)&pi;
	u8 want_contents[SNP_DIGEST_SIZE];

	(void)state;
	memset(m.digest, 0xab, sizeof(m.digest));
	snp_page_info_build(&pi, &m, 0x0123456789abc000ULL, SNP_PAGE_TYPE_NORMAL, pattern, 1, 0x33,
			    0x22, 0x11);
	sha384(pattern, PAGE_SIZE, want_contents);
	for (int i = 0; i < 0x30; i++)
		assert_int_equal(b[i], 0xab);
	assert_memory_equal(b + 0x30, want_contents, SNP_DIGEST_SIZE);
	assert_int_equal(b[0x60], 0x70); /* length, little-endian u16 */
	assert_int_equal(b[0x61], 0x00);
	assert_int_equal(b[0x62], SNP_PAGE_TYPE_NORMAL);
	assert_int_equal(b[0x63], 1);	 /* imi_page */
	assert_int_equal(b[0x64], 0);	 /* reserved: bits 7:0 of the perms dword */
	assert_int_equal(b[0x65], 0x11); /* VMPL1_PERMS, bits 15:8 */
	assert_int_equal(b[0x66], 0x22); /* VMPL2_PERMS, bits 23:16 */
	assert_int_equal(b[0x67], 0x33); /* VMPL3_PERMS, bits 31:24 */
	for (int i = 0; i < 8; i++)	 /* gpa, little-endian u64 */
		assert_int_equal(b[0x68 + i], (u8)(0x0123456789abc000ULL >> (8 * i)));

	/* Unmeasured types: zero contents. VMSA: the fixed GPA. */
	snp_page_info_build(&pi, &m, 0x5000, SNP_PAGE_TYPE_SECRETS, pattern, 0, 0, 0, 0);
	for (int i = 0x30; i < 0x60; i++)
		assert_int_equal(b[i], 0);
	assert_int_equal(pi.gpa, 0x5000);
	snp_page_info_build(&pi, &m, 0x5000, SNP_PAGE_TYPE_VMSA, pattern, 0, 0, 0, 0);
	assert_memory_equal(pi.contents, want_contents, SNP_DIGEST_SIZE);
	assert_int_equal(pi.gpa, SNP_VMSA_GPA);
}

static void test_init_and_hex(void **state)
{
	struct snp_measure m;
	char hex[SNP_DIGEST_HEX_LEN + 1], zeros[SNP_DIGEST_HEX_LEN + 1];

	(void)state;
	memset(m.digest, 0x5a, sizeof(m.digest));
	snp_measure_init(&m);
	memset(zeros, '0', SNP_DIGEST_HEX_LEN);
	zeros[SNP_DIGEST_HEX_LEN] = '\0';
	hex_of(&m, hex);
	assert_string_equal(hex, zeros);
	m.digest[0] = 0xfe;
	m.digest[47] = 0x0a;
	hex_of(&m, hex);
	assert_int_equal(strlen(hex), 96);
	assert_memory_equal(hex, "fe", 2);
	assert_memory_equal(hex + 94, "0a", 2);
}

static void test_type_names(void **state)
{
	(void)state;
	for (int t = SNP_PAGE_TYPE_NORMAL; t <= SNP_PAGE_TYPE_CPUID; t++)
		assert_int_equal(snp_page_type_parse(snp_page_type_name(t)), t);
	assert_int_equal(snp_page_type_parse("vmsa"), 2);
	assert_int_equal(snp_page_type_parse("cpuid"), 6);
	assert_int_equal(snp_page_type_parse("Normal"), -EINVAL);
	assert_int_equal(snp_page_type_parse(""), -EINVAL);
	assert_null(snp_page_type_name(0));
	assert_null(snp_page_type_name(7));
}

/* Golden digests from tests/measure/reference.py (hashlib), one chain. */
static void test_golden_chain(void **state)
{
	struct snp_measure m;

	(void)state;
	snp_measure_init(&m);
	snp_measure_page(&m, 0, SNP_PAGE_TYPE_ZERO, NULL, 0, 0, 0, 0);
	assert_digest(&m, "70c0ecaab9608f14ebf8ac6f0f07bcd8728f4e2ab30382b539b4de4de904ca9f"
			  "8ebdf4b2cd3cd84dd996bd55dd794676");

	snp_measure_init(&m);
	snp_measure_page(&m, 0x100000, SNP_PAGE_TYPE_NORMAL, pattern, 0, 0, 0, 0);
	assert_digest(&m, "2807634c775ce1898e2a6d7eb97a3679b01695d0a7e3c9b401a6b1685a650841"
			  "a852647df12d36ee910b590d6f7f2042");
	snp_measure_page(&m, 0x101000, SNP_PAGE_TYPE_ZERO, NULL, 0, 0, 0, 0);
	snp_measure_page(&m, 0x5000, SNP_PAGE_TYPE_VMSA, pattern, 0, 0, 0, 0);
	assert_digest(&m, "152a330e79743bf8c24b04d9f93c6c48a20d92754b90827a97aed89f1f64d182"
			  "40c3724cc3aac8e951017288ade0819a");
	snp_measure_page(&m, 0x102000, SNP_PAGE_TYPE_SECRETS, NULL, 0, 0, 0, 0);
	snp_measure_page(&m, 0x103000, SNP_PAGE_TYPE_CPUID, NULL, 0, 0, 0, 0);
	snp_measure_page(&m, 0x104000, SNP_PAGE_TYPE_UNMEASURED, NULL, 0, 0, 0, 0);
	assert_digest(&m, "f62090f907ff6fbb085909bdfa42efc260fbe6b00833ad1b48eda9e5ce51af9e"
			  "f8816e020503374595b90a831aacfe68");
	snp_measure_page(&m, 0x105000, SNP_PAGE_TYPE_NORMAL, pattern, 1, 1, 2, 3);
	assert_digest(&m, "25d8e5cf8e1bc09331b26aa8be9b5bc5ecc296a02697933596254dedf442f2b2"
			  "ee3c5684ea5f443030f9da695f215b9a");
}

static void one(struct snp_measure *m, u64 gpa, enum snp_page_type t, const void *p)
{
	snp_measure_init(m);
	snp_measure_page(m, gpa, t, p, 0, 0, 0, 0);
}

static void test_sensitivity(void **state)
{
	static const u8 zero_page[PAGE_SIZE];
	struct snp_measure a, b;

	(void)state;
	/* NORMAL of zeros vs ZERO */
	one(&a, 0x1000, SNP_PAGE_TYPE_NORMAL, zero_page);
	one(&b, 0x1000, SNP_PAGE_TYPE_ZERO, NULL);
	assert_memory_not_equal(a.digest, b.digest, SNP_DIGEST_SIZE);
	/* GPA matters */
	one(&a, 0x1000, SNP_PAGE_TYPE_ZERO, NULL);
	one(&b, 0x2000, SNP_PAGE_TYPE_ZERO, NULL);
	assert_memory_not_equal(a.digest, b.digest, SNP_DIGEST_SIZE);
	/* contents matter, type matters among unmeasured types */
	one(&a, 0x1000, SNP_PAGE_TYPE_NORMAL, pattern);
	one(&b, 0x1000, SNP_PAGE_TYPE_NORMAL, zero_page);
	assert_memory_not_equal(a.digest, b.digest, SNP_DIGEST_SIZE);
	one(&a, 0x1000, SNP_PAGE_TYPE_SECRETS, NULL);
	one(&b, 0x1000, SNP_PAGE_TYPE_CPUID, NULL);
	assert_memory_not_equal(a.digest, b.digest, SNP_DIGEST_SIZE);
	/* the VMSA's own GPA does not matter; its contents do */
	one(&a, 0x1000, SNP_PAGE_TYPE_VMSA, pattern);
	one(&b, 0x7000, SNP_PAGE_TYPE_VMSA, pattern);
	assert_memory_equal(a.digest, b.digest, SNP_DIGEST_SIZE);
	/* order matters */
	snp_measure_init(&a);
	snp_measure_page(&a, 0x1000, SNP_PAGE_TYPE_ZERO, NULL, 0, 0, 0, 0);
	snp_measure_page(&a, 0x2000, SNP_PAGE_TYPE_NORMAL, pattern, 0, 0, 0, 0);
	snp_measure_init(&b);
	snp_measure_page(&b, 0x2000, SNP_PAGE_TYPE_NORMAL, pattern, 0, 0, 0, 0);
	snp_measure_page(&b, 0x1000, SNP_PAGE_TYPE_ZERO, NULL, 0, 0, 0, 0);
	assert_memory_not_equal(a.digest, b.digest, SNP_DIGEST_SIZE);
	/* imi and each VMPL permission byte matter, and are not interchangeable */
	snp_measure_init(&a);
	snp_measure_page(&a, 0x1000, SNP_PAGE_TYPE_ZERO, NULL, 0, 1, 0, 0);
	snp_measure_init(&b);
	snp_measure_page(&b, 0x1000, SNP_PAGE_TYPE_ZERO, NULL, 0, 0, 0, 1);
	assert_memory_not_equal(a.digest, b.digest, SNP_DIGEST_SIZE);
	one(&b, 0x1000, SNP_PAGE_TYPE_ZERO, NULL);
	assert_memory_not_equal(a.digest, b.digest, SNP_DIGEST_SIZE);
	snp_measure_init(&a);
	snp_measure_page(&a, 0x1000, SNP_PAGE_TYPE_ZERO, NULL, 1, 0, 0, 0);
	assert_memory_not_equal(a.digest, b.digest, SNP_DIGEST_SIZE);
}

/* The image convention: whole pages, then the tail zero-padded. */
static void test_image_convention(void **state)
{
	static u8 img[5000], page[PAGE_SIZE];
	struct snp_measure a, b;

	(void)state;
	for (size_t i = 0; i < sizeof(img); i++)
		img[i] = (u8)(i * 13 + 5);
	snp_measure_init(&a);
	assert_int_equal(snp_measure_image(&a, 0x200000, img, sizeof(img)), 0);
	assert_digest(&a, "5b9b9166912e9a5df9c27ddb39bdbf14bda17845552774419da620c9b7f96fc2"
			  "83a8fb4f8e8aa8aea479e97e38b2fe8d");
	snp_measure_init(&b);
	snp_measure_page(&b, 0x200000, SNP_PAGE_TYPE_NORMAL, img, 0, 0, 0, 0);
	memcpy(page, img + PAGE_SIZE, sizeof(img) - PAGE_SIZE);
	snp_measure_page(&b, 0x201000, SNP_PAGE_TYPE_NORMAL, page, 0, 0, 0, 0);
	assert_memory_equal(a.digest, b.digest, SNP_DIGEST_SIZE);
	/* an exact multiple of 4 KiB adds no extra page */
	snp_measure_init(&a);
	assert_int_equal(snp_measure_image(&a, 0x200000, img, PAGE_SIZE), 0);
	one(&b, 0x200000, SNP_PAGE_TYPE_NORMAL, img);
	assert_memory_equal(a.digest, b.digest, SNP_DIGEST_SIZE);
	assert_int_equal(snp_measure_image(&a, 0x200800, img, sizeof(img)), -EINVAL);
}

/* ---- helpers for running python3 and the tool ------------------------ */

/* Runs cmd through the shell; stdout into out, stderr into err (either may
 * be NULL). Returns the exit status, or -1 if it did not exit normally. */
static int run(const char *cmd, char *out, size_t outsz, char *err, size_t errsz)
{
	char full[20000], errfile[128];
	FILE *p;
	size_t n = 0;
	int st;

	snprintf(errfile, sizeof(errfile), "%s/stderr.txt", tmpdir);
	snprintf(full, sizeof(full), "%s 2>'%s'", cmd, errfile);
	p = popen(full, "r");
	assert_non_null(p);
	if (out) {
		n = fread(out, 1, outsz - 1, p);
		out[n] = '\0';
	} else {
		char sink[256];

		while (fread(sink, 1, sizeof(sink), p))
			;
	}
	st = pclose(p);
	if (err) {
		FILE *e = fopen(errfile, "r");

		n = e ? fread(err, 1, errsz - 1, e) : 0;
		err[n] = '\0';
		if (e)
			fclose(e);
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static bool have_python(void)
{
	return run("python3 -c pass", NULL, 0, NULL, 0) == 0;
}

static bool have_tool(void)
{
	return access(tool, X_OK) == 0;
}

static void write_file(const char *name, const void *data, size_t len)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

static void reference(const char *args, char *hex)
{
	char cmd[16384], out[512];

	snprintf(cmd, sizeof(cmd), "python3 '%s/tests/measure/reference.py' %s", root, args);
	assert_int_equal(run(cmd, out, sizeof(out), NULL, 0), 0);
	assert_int_equal(strlen(out), SNP_DIGEST_HEX_LEN + 1);
	out[SNP_DIGEST_HEX_LEN] = '\0';
	strcpy(hex, out);
}

/* The C API against reference.py on a layout written here. */
static void test_reference_api(void **state)
{
	static u8 data[3 * PAGE_SIZE];
	char layout[1024], args[512], want[128], got[SNP_DIGEST_HEX_LEN + 1];
	struct snp_measure m;

	(void)state;
	if (!have_python())
		skip();
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (u8)(i * 31 + (i >> 9));
	write_file("data.bin", data, sizeof(data));
	snprintf(layout, sizeof(layout),
		 "# written by test_measure\n"
		 "0x10000 normal data.bin 0\n"
		 "0x11000-0x12fff normal data.bin 0x1000\n"
		 "0x20000-0x3ffff zero\n"
		 "0x40000 secrets\n0x41000 cpuid\n0x42000 unmeasured\n"
		 "0x43000 vmsa data.bin 0x2000\n"
		 "0x44000 zero imi=1 vmpl1=7 vmpl2=3 vmpl3=1\n");
	write_file("api.layout", layout, strlen(layout));
	snprintf(args, sizeof(args), "--layout '%s/api.layout'", tmpdir);
	reference(args, want);

	snp_measure_init(&m);
	snp_measure_page(&m, 0x10000, SNP_PAGE_TYPE_NORMAL, data, 0, 0, 0, 0);
	snp_measure_page(&m, 0x11000, SNP_PAGE_TYPE_NORMAL, data + PAGE_SIZE, 0, 0, 0, 0);
	snp_measure_page(&m, 0x12000, SNP_PAGE_TYPE_NORMAL, data + 2 * PAGE_SIZE, 0, 0, 0, 0);
	for (u64 g = 0x20000; g < 0x40000; g += PAGE_SIZE)
		snp_measure_page(&m, g, SNP_PAGE_TYPE_ZERO, NULL, 0, 0, 0, 0);
	snp_measure_page(&m, 0x40000, SNP_PAGE_TYPE_SECRETS, NULL, 0, 0, 0, 0);
	snp_measure_page(&m, 0x41000, SNP_PAGE_TYPE_CPUID, NULL, 0, 0, 0, 0);
	snp_measure_page(&m, 0x42000, SNP_PAGE_TYPE_UNMEASURED, NULL, 0, 0, 0, 0);
	snp_measure_page(&m, 0x43000, SNP_PAGE_TYPE_VMSA, data + 2 * PAGE_SIZE, 0, 0, 0, 0);
	snp_measure_page(&m, 0x44000, SNP_PAGE_TYPE_ZERO, NULL, 1, 1, 3, 7);
	hex_of(&m, got);
	assert_string_equal(got, want);
}

/* The tool against reference.py on the checked-in layouts and an image. */
static void test_reference_tool(void **state)
{
	static const char *const cases[] = {
	    "--layout '%1$s/tests/measure/basic.layout'",
	    "--layout '%1$s/tests/measure/ranges.layout'",
	    "--layout '%1$s/tests/measure/ranges.layout' --layout "
	    "'%1$s/tests/measure/basic.layout'",
	    "--image '%1$s/tests/measure/sample.txt' --load 0x100000",
	    "--layout '%1$s/tests/measure/ranges.layout' --image '%1$s/tests/measure/sample.txt' "
	    "--load 0x100000",
	};
	char args[2048], cmd[4096], want[128], got[512];

	(void)state;
	if (!have_python() || !have_tool())
		skip();
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		snprintf(args, sizeof(args), cases[i], root);
		reference(args, want);
		snprintf(cmd, sizeof(cmd), "'%s' %s", tool, args);
		assert_int_equal(run(cmd, got, sizeof(got), NULL, 0), 0);
		assert_int_equal(strlen(got), SNP_DIGEST_HEX_LEN + 1); /* 96 hex + newline */
		got[SNP_DIGEST_HEX_LEN] = '\0';
		assert_string_equal(got, want);
	}
}

/* --page and --layout give the same digest; --image follows
 * snp_measure_image(); -v writes steps to stderr only. */
static void test_tool_forms(void **state)
{
	static u8 img[5000];
	char cmd[16384], a[512], b[512], err[16384], want[SNP_DIGEST_HEX_LEN + 1];
	const char *layout = "0x1000 normal img.bin\n0x2000 zero\n0x3000 vmsa img.bin 0x1000\n";
	struct snp_measure m;

	(void)state;
	if (!have_tool())
		skip();
	for (size_t i = 0; i < sizeof(img); i++)
		img[i] = (u8)(i * 13 + 5);
	write_file("img.bin", img, sizeof(img));
	write_file("forms.layout", layout, strlen(layout));
	snprintf(cmd, sizeof(cmd), "'%s' --layout '%s/forms.layout'", tool, tmpdir);
	assert_int_equal(run(cmd, a, sizeof(a), NULL, 0), 0);
	snprintf(cmd, sizeof(cmd),
		 "'%s' --page 0x1000:normal:%s/img.bin --page 0x2000:zero "
		 "--page 0x3000:vmsa:%s/img.bin:4096",
		 tool, tmpdir, tmpdir);
	assert_int_equal(run(cmd, b, sizeof(b), NULL, 0), 0);
	assert_string_equal(a, b);

	snp_measure_init(&m);
	snp_measure_image(&m, 0x200000, img, sizeof(img));
	hex_of(&m, want);
	snprintf(cmd, sizeof(cmd), "'%s' --image '%s/img.bin' --load 0x200000 --memory 4M", tool,
		 tmpdir);
	assert_int_equal(run(cmd, a, sizeof(a), NULL, 0), 0);
	assert_memory_equal(a, want, SNP_DIGEST_HEX_LEN);
	assert_string_equal(a + SNP_DIGEST_HEX_LEN, "\n");

	snprintf(cmd, sizeof(cmd), "'%s' -v --image '%s/img.bin' --load 0x200000", tool, tmpdir);
	assert_int_equal(run(cmd, b, sizeof(b), err, sizeof(err)), 0);
	assert_string_equal(a, b);
	assert_non_null(strstr(err, "step 1:"));
	assert_non_null(strstr(err, "step 2:"));
	assert_null(strstr(err, "step 3:"));
	assert_non_null(strstr(err, "gpa=0x201000"));
	assert_non_null(strstr(err, want)); /* the last step's digest */
}

/* An image with the SNP image header (magic at 4, memory size at 8): file
 * pages NORMAL, then ZERO pages up to the memory size (docs/measure.md). */
static void make_snp_image(u8 *img, size_t len, u32 magic, u64 mem)
{
	for (size_t i = 0; i < len; i++)
		img[i] = (u8)(i * 29 + 3);
	memcpy(img + 4, &magic, 4);
	memcpy(img + 8, &mem, 8);
}

static void test_snp_image(void **state)
{
	static u8 img[5000], zero_page[PAGE_SIZE];
	struct snp_measure a, b;
	const char *why = NULL;
	char cmd[4096], hex[SNP_DIGEST_HEX_LEN + 1], out[512], ref[SNP_DIGEST_HEX_LEN + 1];
	u64 mem = 0;

	(void)state;
	/* the header: magic bytes "SNPI" at offset 4 */
	make_snp_image(img, sizeof(img), SNP_IMAGE_MAGIC, 0x5800);
	assert_memory_equal(img + 4, "SNPI", 4);
	assert_int_equal(snp_image_parse(img, sizeof(img), &mem, &why), 0);
	assert_int_equal(mem, 0x5800);
	assert_null(why);
	assert_int_equal(snp_image_parse(img, 15, &mem, &why), -ENOEXEC);
	assert_non_null(why);
	img[5] ^= 1;
	assert_int_equal(snp_image_parse(img, sizeof(img), &mem, &why), -ENOEXEC);
	make_snp_image(img, sizeof(img), SNP_IMAGE_MAGIC, sizeof(img) - 1);
	assert_int_equal(snp_image_parse(img, sizeof(img), &mem, &why), -EINVAL);
	make_snp_image(img, sizeof(img), SNP_IMAGE_MAGIC, 1ULL << 32);
	assert_int_equal(snp_image_parse(img, sizeof(img), &mem, &why), -EINVAL);

	/* 2 NORMAL pages (0x200000, 0x201000), then ZERO 0x202000..0x205000 */
	make_snp_image(img, sizeof(img), SNP_IMAGE_MAGIC, 0x5800);
	snp_measure_init(&a);
	assert_int_equal(snp_measure_snp_image(&a, 0x200000, img, sizeof(img)), 0);
	snp_measure_init(&b);
	snp_measure_image(&b, 0x200000, img, sizeof(img));
	for (u64 g = 0x202000; g < 0x206000; g += PAGE_SIZE)
		snp_measure_page(&b, g, SNP_PAGE_TYPE_ZERO, NULL, 0, 0, 0, 0);
	assert_memory_equal(a.digest, b.digest, SNP_DIGEST_SIZE);
	/* ZERO, not zero-filled NORMAL: a different digest */
	snp_measure_init(&b);
	snp_measure_image(&b, 0x200000, img, sizeof(img));
	for (u64 g = 0x202000; g < 0x206000; g += PAGE_SIZE)
		one(&b, g, SNP_PAGE_TYPE_NORMAL, zero_page);
	assert_memory_not_equal(a.digest, b.digest, SNP_DIGEST_SIZE);
	/* no header: refused */
	img[4] = 0;
	snp_measure_init(&b);
	assert_int_equal(snp_measure_snp_image(&b, 0x200000, img, sizeof(img)), -ENOEXEC);

	if (!have_tool())
		return;
	/* the tool's --image reads the same header; reference.py agrees with the
	 * convention spelled out as a layout */
	make_snp_image(img, sizeof(img), SNP_IMAGE_MAGIC, 0x5800);
	write_file("snpimg.bin", img, sizeof(img));
	hex_of(&a, hex);
	snprintf(cmd, sizeof(cmd), "'%s' --image '%s/snpimg.bin' --load 0x200000 --memory 4M", tool,
		 tmpdir);
	assert_int_equal(run(cmd, out, sizeof(out), NULL, 0), 0);
	assert_memory_equal(out, hex, SNP_DIGEST_HEX_LEN);
	if (have_python()) {
		char args[512];
		const char *l = "0x200000-0x201fff normal snpimg.bin\n0x202000-0x205fff zero\n";

		write_file("snpimg.layout", l, strlen(l));
		snprintf(args, sizeof(args), "--layout '%s/snpimg.layout'", tmpdir);
		reference(args, ref);
		assert_string_equal(ref, hex);
	}
	/* memory size below the file: an error naming it */
	make_snp_image(img, sizeof(img), SNP_IMAGE_MAGIC, 0x100);
	write_file("snpimg-bad.bin", img, sizeof(img));
	snprintf(cmd, sizeof(cmd), "'%s' --image '%s/snpimg-bad.bin' --load 0x200000", tool,
		 tmpdir);
	assert_int_equal(run(cmd, out, sizeof(out), cmd, sizeof(cmd)), 2);
	assert_non_null(strstr(cmd, "below the file size"));
	/* the ZERO tail counts for --memory and overlaps */
	snprintf(cmd, sizeof(cmd), "'%s' --image '%s/snpimg.bin' --load 0x200000 --memory 0x205000",
		 tool, tmpdir);
	assert_int_equal(run(cmd, out, sizeof(out), NULL, 0), 2);
	snprintf(cmd, sizeof(cmd),
		 "'%s' --image '%s/snpimg.bin' --load 0x200000 --page 0x205000:zero", tool, tmpdir);
	assert_int_equal(run(cmd, out, sizeof(out), NULL, 0), 2);
}

/* --page-tables with --cbit: the C-bit in every entry changes the digest;
 * the default is snpvisor's emulated bit 52 (docs/measure.md). */
static void test_tool_cbit(void **state)
{
	static u8 tables[SNP_BOOT_PT_PAGES * PAGE_SIZE];
	char cmd[2048], a[512], b[512], want[SNP_DIGEST_HEX_LEN + 1], err[1024];
	struct snp_measure m;

	(void)state;
	if (!have_tool())
		skip();
	for (unsigned cbit = 0; cbit <= 52; cbit += 52) {
		snp_boot_tables_build(tables, cbit);
		snp_measure_init(&m);
		for (unsigned i = 0; i < SNP_BOOT_PT_PAGES; i++)
			snp_measure_page(&m, SNP_BOOT_PT_GPA + i * PAGE_SIZE, SNP_PAGE_TYPE_NORMAL,
					 tables + i * PAGE_SIZE, 0, 0, 0, 0);
		hex_of(&m, want);
		snprintf(cmd, sizeof(cmd), "'%s' --page-tables --cbit %u", tool, cbit);
		assert_int_equal(run(cmd, a, sizeof(a), NULL, 0), 0);
		assert_memory_equal(a, want, SNP_DIGEST_HEX_LEN);
		/* --cbit after --page-tables or before: the same */
		snprintf(cmd, sizeof(cmd), "'%s' --cbit %u --page-tables", tool, cbit);
		assert_int_equal(run(cmd, b, sizeof(b), NULL, 0), 0);
		assert_string_equal(a, b);
	}
	snprintf(cmd, sizeof(cmd), "'%s' --page-tables", tool);
	assert_int_equal(run(cmd, b, sizeof(b), NULL, 0), 0);
	assert_string_equal(a, b); /* default 52 */
	snprintf(cmd, sizeof(cmd), "'%s' --page-tables --cbit 51", tool);
	assert_int_equal(run(cmd, b, sizeof(b), NULL, 0), 0);
	assert_string_not_equal(a, b);
	snprintf(cmd, sizeof(cmd), "'%s' --page-tables --cbit 7", tool);
	assert_int_equal(run(cmd, b, sizeof(b), err, sizeof(err)), 2);
	assert_non_null(strstr(err, "--cbit 7"));
	snprintf(cmd, sizeof(cmd), "'%s' --page-tables --cbit 5x", tool);
	assert_int_equal(run(cmd, b, sizeof(b), err, sizeof(err)), 2);
}

/* Each bad input: exit status 2, nothing on stdout, a message naming it. */
static void test_tool_errors(void **state)
{
	static const struct {
		const char *args, *msg;
	} cases[] = {
	    {"", "nothing to measure"},
	    {"--page 0x1000:normal:%s/does-not-exist", "cannot open"},
	    {"--layout %s/does-not-exist.layout", "cannot open layout"},
	    {"--page xyz:zero", "bad GPA"},
	    {"--page 0x1000zz:zero", "bad GPA"},
	    {"--page -0x1000:zero", "bad GPA"},
	    {"--page 0x10000000000000:zero", "52-bit"},
	    {"--page 0x1800:zero", "not 4 KiB aligned"},
	    {"--page 0x1000-0x1fff0:zero", "last byte of a page"},
	    {"--page 0x1000:bogus", "unknown page type"},
	    {"--page 0x1000", "want GPA:TYPE"},
	    {"--page 0x1000:zero:%s/img.bin", "takes no file"},
	    {"--page 0x1000:zero --page 0x1000:normal", "overlapping"},
	    {"--page 0x0-0x3fff:zero --page 0x2000:cpuid", "overlapping"},
	    {"--image %s/img.bin --load 0x1000 --page 0x2000:zero", "overlapping"},
	    {"--image %s/img.bin --load 0x1234", "not 4 KiB aligned"},
	    {"--image %s/img.bin", "go together"},
	    {"--image %s/empty.bin --load 0x1000", "empty"},
	    {"--page 0x1000:normal:%s/img.bin:0x100000", "past the end"},
	    {"--page 0x400000:zero --memory 4M", "beyond guest memory"},
	    {"--layout %s/bad.layout", "bad.layout:2: unknown page type"},
	    {"--layout %s/badopt.layout", "unknown option"},
	    {"--frobnicate", "unknown argument"},
	    {"--page", "needs a value"},
	};
	char args[1024], cmd[4096], out[256], err[4096];

	(void)state;
	if (!have_tool())
		skip();
	write_file("empty.bin", "", 0);
	static const u8 img[5000]; /* two pages: 0x1000-0x2fff at --load 0x1000 */

	write_file("img.bin", img, sizeof(img));
	write_file("bad.layout", "0x1000 zero\n0x2000 normalish\n", 29);
	write_file("badopt.layout", "0x1000 zero vmpl4=1\n", 20);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		snprintf(args, sizeof(args), cases[i].args, tmpdir);
		snprintf(cmd, sizeof(cmd), "'%s' %s", tool, args);
		int st = run(cmd, out, sizeof(out), err, sizeof(err));

		if (st != 2 || out[0])
			fail_msg("snp-measure %s: exit %d, stdout '%s'", args, st, out);
		if (!strstr(err, cases[i].msg))
			fail_msg("snp-measure %s: want '%s' in: %s", args, cases[i].msg, err);
	}
}

static int setup(void **state)
{
	char self[900];
	ssize_t n;

	(void)state;
	for (size_t i = 0; i < PAGE_SIZE; i++)
		pattern[i] = (u8)((i ^ (i >> 8)) * 7);
	root = getenv("SNPV_ROOT");
	if (!root)
		root = ".";
	/* the tool sits next to us: <build>/tests/unit/test_measure ->
	 * <build>/tools/snp-measure */
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		*strrchr(self, '/') = '\0';
		snprintf(tool, sizeof(tool), "%s/../../tools/snp-measure", self);
	}
	strcpy(tmpdir, "/tmp/snpv-measure-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_page_info_layout), cmocka_unit_test(test_init_and_hex),
	    cmocka_unit_test(test_type_names),	     cmocka_unit_test(test_golden_chain),
	    cmocka_unit_test(test_sensitivity),	     cmocka_unit_test(test_image_convention),
	    cmocka_unit_test(test_reference_api),    cmocka_unit_test(test_reference_tool),
	    cmocka_unit_test(test_tool_forms),	     cmocka_unit_test(test_tool_errors),
	    cmocka_unit_test(test_snp_image),	     cmocka_unit_test(test_tool_cbit),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
