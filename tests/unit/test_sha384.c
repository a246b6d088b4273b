/* Unit tests of snp/sha384.c: the FIPS 180-4 / NIST example vectors, random
 * inputs of many lengths around the 128-byte block and its 112-byte padding
 * boundary (digests from python3 hashlib, tests/measure/gen_sha384_vectors.py),
 * and incremental updates in odd pieces against the one-shot digest. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "snp/sha384.h"

struct rand_vec {
	size_t len;
	const char *hex;
};

/* Generated with python3 hashlib.sha384 over gen_bytes(len, seed = index). */
static const struct rand_vec rand_vecs[] = {
    {1, "ad14aaf25020bef2fd4e3eb5ec0c50272cdfd66074b0ed037c9a11254321aac0729985374beeaa5b80a504d048"
	"be1864"},
    {2, "cff07abf20c3117564b64eee4c89c27b39ab5e3f34ae4020a9e2850d481acb0aeb0e54b9c0ac745cfce99a3792"
	"234155"},
    {3, "ec24060e7c8c2045c8b6b02b835e2b5abee4f14e00216e2ad37877ec4768178da6d3ab59e5e2ea45a8f68ffc43"
	"1240c0"},
    {55, "e7cb2f8ff263700fba306d7cb511be4942a17356c87e4e4324ad4491b756d61631a8b50a08cfff324cba7aa38"
	 "56e0a82"},
    {56, "c95fb140c571bc2ca571b3cb9c64d4868ef68bb2b68fad7e2f54fea3469c8b43ce18ba27e6c6c32290c5b7dcf"
	 "636f340"},
    {63, "69c66fa58ec5b9bf065616e3cc4d435cf6dfd2961c74897810f5b5defde4e0423e83115010571b52136ff411e"
	 "421835f"},
    {64, "a202238d2a61603ec3fb662e9158881735ed8c8bc69b9fe3e5778d563bd0bf1c5740177e330a78eda6c8b0f4f"
	 "754075b"},
    {65, "5c7eb67e62e6b0a0046d256625efc020ad54d82074531569482a1940fd98b8fed0a836a68d9db707c113da980"
	 "b50a020"},
    {100, "ca70f91ed7e0a1ea7370b210a5102a15df6d010c34c868e2fa913df96657b653f62bef4ed5063d22c3e7bc2e"
	  "98b57245"},
    {110, "dbb8fe82b3eeab3eb272fdfbfdcac0f3e5a464d3f008536ab036cf9e5d5a748bddde2bada4f8047e87b9f7bb"
	  "bd0436ae"},
    {111, "59f8d4ae375d1ae31605ad464de1f935bf0c864e234de2aa2010ac7180bf2c228630055650384be704b72aec"
	  "36be1a74"},
    {112, "c5bf5bba4da70d895aba9b83694dfde0b1131d3c61f22a111da0f85efc302fde7ba0a8f9b4ac82f5d8ae74e4"
	  "c5bb9626"},
    {113, "7040656c506c644ec5d374680a45c2295973b99fa7602dcb59f8f499e10dd5a250c226e04773111c1ae90a2e"
	  "df14d682"},
    {119, "2b6b06163550304a17f2cb0a35c1bcc229adb2b91d5655c6dededa4bf37441f864197a2d26cdbd9a94857dc1"
	  "c387e7fa"},
    {120, "7f2df96a301350b01b79ac52ce402ca807edc804d71461d2c1063f103650ad99026c19e208c516474b572d21"
	  "e3f121bf"},
    {127, "fb941e53976e41241666c93cdcfd054924f9c6673d5aace045a057d19f8f3cfc538c4c0682d6eb21e1473e30"
	  "f4344111"},
    {128, "6e705457cd1d86ebc3ab443ee216eea0b9f414e4df2cfb46d947049998a9e14f310929b354e4587fa5215450"
	  "3efe1d86"},
    {129, "a391d1d930bd3f61cc623cd6cf89d50e89e291ba91091192e286f00a7492081fb746ea74fdcafca0af629d2b"
	  "3e4187ab"},
    {130, "07ccaf23fdf6992172091c615f90d4e8261d95080eeb2ff180859c8413784c36f5712aaf531e92012b639c43"
	  "581273cd"},
    {200, "0d1db9deee9392609e01e7e685eaa3e8dce637b417e780992b06ec22f1838e206cddf5194798b4abc6b4f821"
	  "e6dd9abb"},
    {238, "fb2e6a1726e5ecd0c9a127af1184529001d3643358ca8343ed2591a83c30917c2394bd8b48d2944dec69835e"
	  "5056080f"},
    {239, "da5c1a93c9808cb7aa74e12b453167a7411eb39c50dabc752129beb21e1305a2f08c8750852e2d7a7b512e4c"
	  "01fa4ba9"},
    {240, "7ae58590bc015081803b20c031ffc52528eee263bc01b185ef8cf674607e9b0cf18c90f4545f3f8dde76cb97"
	  "27591dc5"},
    {241, "36d5f6d6f8f9d98e02cb433464c4fc94a60f2823db249baa380a0d4c4001330fe7741c2f14cd6e0f7c41c135"
	  "b34b8b27"},
    {255, "729084032e7ce531f9d76a4f7e192947866403a824c07aaac59861b5d3ee965bd9568d52ef927469386f6f10"
	  "257974a2"},
    {256, "d4b6e771a0f18d6cf4e30a47db1d892f716703c69f9026b8e5b14d344143711ff878a1d3861db597f9ef1a3b"
	  "f2cd87e5"},
    {257, "d74e0d49acb31752490b3d647f28772c760f4357e55a1d2ab732ef4010c603a62e60be97fb56e58cf5eda619"
	  "883cba55"},
    {383, "b95313380883c1e2202c9265e108f05f395995bcf99b4643e9bb21912e51373df9c416cb60bfdc603f2de5cb"
	  "873de07a"},
    {384, "5b34fdfefdcd40726423532c38404d85b0b95073a14ce30c7822ed87979ed28ada29126b4290507853697b72"
	  "2e24cb6e"},
    {385, "d7ecbd1914c0a3a329424442b9d9f65e64326a910f56543113ec0aa407b86152a44862b307083e13d4310321"
	  "fcfdf84e"},
    {1000, "c14348cf3b425f8ef6fd2da13038f6d88f26a575366617c9376969c7fc315b3c4877368ae15b2281e770290"
	   "fe2708fe2"},
    {4095, "5b7e13f926162f97ca1603abb91ed6fc5a3174a7605881be77e0fa2247da158dc65c1c23b313791e78c5a0c"
	   "57d2c856c"},
    {4096, "d38b9f2ce2b844628d26d4f047ba56f34e168474e8caf9c8c8ac894011681b8f5e873d7713e5d5beb9dd289"
	   "f5499e93e"},
    {4097, "2ee04b4d7aff49991dfdbc02d514aebcecef06fb543e5af994affb34da4f6f11c45399fda6efc4fcca3d85e"
	   "52d9f7c1f"},
    {10007, "250431045320ea364cc6e43cc71a2df86edacf37f64334a0f58900a866f1eb1a50ca968bf8abdbf3d449a0"
	    "d39c34134a"},
};

/* xorshift64, low byte per step; the same as gen_bytes() in the script. */
static void gen_bytes(u8 *out, size_t n, u64 seed)
{
	u64 x = seed * 0x9E3779B97F4A7C15ULL + 1;

	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		out[i] = (u8)x;
	}
}

static void to_hex(const u8 *d, char *out)
{
	for (int i = 0; i < SHA384_DIGEST_SIZE; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
}

static void check_oneshot(const void *msg, size_t len, const char *want)
{
	u8 d[SHA384_DIGEST_SIZE];
	char hex[2 * SHA384_DIGEST_SIZE + 1];

	sha384(msg, len, d);
	to_hex(d, hex);
	assert_string_equal(hex, want);
}

/* FIPS 180-4 examples (NIST CSRC "SHA384.pdf"). */
static void test_nist_abc(void **state)
{
	(void)state;
	check_oneshot("abc", 3,
		      "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded163"
		      "1a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7");
}

static void test_nist_896bit(void **state)
{
	static const char msg[] = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
				  "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";

	(void)state;
	assert_int_equal(strlen(msg) * 8, 896);
	check_oneshot(msg, strlen(msg),
		      "09330c33f71147e83d192fc782cd1b4753111b173b3b05d2"
		      "2fa08086e3b0f712fcc7c71a557e2db966c3e9fa91746039");
}

static void test_nist_empty(void **state)
{
	(void)state;
	check_oneshot("", 0,
		      "38b060a751ac96384cd9327eb1b1e36a21fdb71114be0743"
		      "4c0cc7bf63f6e1da274edebfe76f65fbd51ad2f14898b95b");
}

static void test_nist_million_a(void **state)
{
	struct sha384_ctx ctx;
	u8 chunk[1000], d[SHA384_DIGEST_SIZE];
	char hex[2 * SHA384_DIGEST_SIZE + 1];

	(void)state;
	memset(chunk, 'a', sizeof(chunk));
	sha384_init(&ctx);
	for (int i = 0; i < 1000; i++)
		sha384_update(&ctx, chunk, sizeof(chunk));
	sha384_final(&ctx, d);
	to_hex(d, hex);
	assert_string_equal(hex, "9d0e1809716474cb086e834e310a4a1ced149e9c00f24852"
				 "7972cec5704c2a5b07b8b3dc38ecc4ebae97ddd87f3d8985");
}

static void test_random_lengths(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(rand_vecs); i++) {
		u8 *buf = malloc(rand_vecs[i].len);

		assert_non_null(buf);
		gen_bytes(buf, rand_vecs[i].len, i);
		check_oneshot(buf, rand_vecs[i].len, rand_vecs[i].hex);
		free(buf);
	}
}

/* Feeding the same bytes in pieces of every size 1..300 (and 0-byte
 * updates in between) gives the one-shot digest. */
static void test_incremental(void **state)
{
	enum { N = 3 * 4096 + 77 };
	static u8 buf[N];
	u8 want[SHA384_DIGEST_SIZE], got[SHA384_DIGEST_SIZE];

	(void)state;
	gen_bytes(buf, N, 99);
	sha384(buf, N, want);
	for (size_t piece = 1; piece <= 300; piece++) {
		struct sha384_ctx ctx;
		size_t off = 0;

		sha384_init(&ctx);
		while (off < N) {
			size_t n = MIN(piece + (off % 7), (size_t)N - off);

			sha384_update(&ctx, buf + off, n);
			sha384_update(&ctx, buf, 0);
			off += n;
		}
		sha384_final(&ctx, got);
		assert_memory_equal(got, want, sizeof(want));
	}
}

/* Not a pass/fail check: prints host throughput for the report. */
static void test_throughput(void **state)
{
	enum { MB = 1 << 20 };
	u8 *buf = malloc(16 * MB), d[SHA384_DIGEST_SIZE];
	struct timespec t0, t1;
	double s;

	(void)state;
	assert_non_null(buf);
	gen_bytes(buf, 16 * MB, 5);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	sha384(buf, 16 * MB, d);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	s = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	print_message("sha384 host throughput: %.0f MB/s (16 MiB, test build flags)\n",
		      16.0 / (s > 0 ? s : 1e-9));
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_nist_abc),	   cmocka_unit_test(test_nist_896bit),
	    cmocka_unit_test(test_nist_empty),	   cmocka_unit_test(test_nist_million_a),
	    cmocka_unit_test(test_random_lengths), cmocka_unit_test(test_incremental),
	    cmocka_unit_test(test_throughput),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
