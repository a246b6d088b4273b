/* Unit tests of pmem, the host physical frame allocator, over a fake
 * physical memory window (hv/arch/host/host_env.h). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hv/base/mem.h"
#include "hv/mm/pmem.h"
#include "hv/arch/host/host_env.h"

#define WIN_BASE 0x40000000ULL /* fake SPA of the window: 1 GiB */
#define WIN_SIZE (32ULL << 20)

static u8 *win;

static int setup(void **state)
{
	(void)state;
	win = aligned_alloc(HUGE_SIZE, WIN_SIZE);
	memset(win, 0xAB, WIN_SIZE); /* "dirty" memory: allocations must scrub */
	host_phys_window(win, spa(WIN_BASE), WIN_SIZE);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	host_phys_window(NULL, spa(0), 0);
	free(win);
	return 0;
}

/* One region of size bytes at WIN_BASE + off. */
static void init_one(u64 off, u64 size)
{
	struct pmem_region r = {spa(WIN_BASE + off), size};

	assert_int_equal(pmem_init(&r, 1), 0);
}

static bool all_zero(spa_t pa, u64 len)
{
	const u8 *p = phys_ptr(pa);

	for (u64 i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

static void test_init_accounting(void **state)
{
	u64 meta;

	(void)state;
	init_one(0, 8 << 20);
	assert_int_equal(pmem_total_pages(), 2048);
	meta = pmem_owner_pages(PMEM_OWNER_META);
	assert_true(meta >= 1);
	assert_int_equal(pmem_free_pages() + meta, 2048);
	assert_int_equal(pmem_owner_pages(PMEM_OWNER_FREE), pmem_free_pages());
	assert_int_equal(pmem_owner_of(spa(WIN_BASE)), PMEM_OWNER_META);
	assert_int_equal(pmem_owner_of(spa(WIN_BASE + (8 << 20))), PMEM_OWNER_NOT_RAM);
}

static void test_alloc_scrubbed_and_aligned(void **state)
{
	int o;
	spa_t a, b;

	(void)state;
	init_one(0, 8 << 20);
	o = pmem_owner_register("test");
	assert_true(o >= 2);
	assert_int_equal(pmem_alloc(PMEM_ORDER_4K, (u8)o, &a), 0);
	assert_true(IS_ALIGNED(spa_val(a), PAGE_SIZE));
	assert_true(all_zero(a, PAGE_SIZE));
	assert_int_equal(pmem_alloc(PMEM_ORDER_2M, (u8)o, &b), 0);
	assert_true(IS_ALIGNED(spa_val(b), HUGE_SIZE));
	assert_true(all_zero(b, HUGE_SIZE));
	assert_int_equal(pmem_owner_pages((u8)o), 1 + 512);
	assert_int_equal(pmem_owner_of(a), o);
	assert_int_equal(pmem_owner_of(spa_add(b, HUGE_SIZE - PAGE_SIZE)), o);
	/* 4K allocations went to the partly used block, not a whole 2M block. */
	assert_int_equal(spa_val(a) / HUGE_SIZE, WIN_BASE / HUGE_SIZE);
}

static void test_exhaustion(void **state)
{
	int o;
	spa_t a;
	u64 n = 0, free0;

	(void)state;
	init_one(0, 4 << 20);
	o = pmem_owner_register("hog");
	free0 = pmem_free_pages();
	while (pmem_alloc(PMEM_ORDER_4K, (u8)o, &a) == 0)
		n++;
	assert_int_equal(n, free0);
	assert_int_equal(pmem_free_pages(), 0);
	assert_int_equal(pmem_alloc(PMEM_ORDER_4K, (u8)o, &a), -ENOMEM);
	assert_int_equal(pmem_alloc(PMEM_ORDER_2M, (u8)o, &a), -ENOMEM);
	/* free one, get exactly that one back */
	assert_int_equal(pmem_free(spa(WIN_BASE + (3 << 20)), PMEM_ORDER_4K, (u8)o), 0);
	assert_int_equal(pmem_alloc(PMEM_ORDER_4K, (u8)o, &a), 0);
	assert_int_equal(spa_val(a), WIN_BASE + (3 << 20));
}

static void test_2m_needs_whole_block(void **state)
{
	int o;
	spa_t a, b, c;

	(void)state;
	/* 4M region starting 1 page into a 2M block: only one whole 2M block. */
	init_one(HUGE_SIZE - PAGE_SIZE, (4 << 20));
	o = pmem_owner_register("big");
	assert_int_equal(pmem_alloc(PMEM_ORDER_2M, (u8)o, &a), 0);
	assert_int_equal(spa_val(a), WIN_BASE + HUGE_SIZE);
	assert_int_equal(pmem_alloc(PMEM_ORDER_2M, (u8)o, &b), -ENOMEM);
	/* after freeing it as 512 separate 4K frames it is whole again */
	for (u64 i = 0; i < 512; i++)
		assert_int_equal(pmem_free(spa_add(a, i * PAGE_SIZE), PMEM_ORDER_4K, (u8)o), 0);
	assert_int_equal(pmem_alloc(PMEM_ORDER_2M, (u8)o, &c), 0);
	assert_int_equal(spa_val(c), spa_val(a));
}

static void test_double_free_and_wrong_owner(void **state)
{
	int o1, o2;
	spa_t a, b;
	u64 free_before;

	(void)state;
	init_one(0, 8 << 20);
	o1 = pmem_owner_register("one");
	o2 = pmem_owner_register("two");
	assert_int_not_equal(o1, o2);
	assert_int_equal(pmem_owner_register("one"), o1);
	assert_int_equal(pmem_alloc(PMEM_ORDER_4K, (u8)o1, &a), 0);
	assert_int_equal(pmem_free(a, PMEM_ORDER_4K, (u8)o2), -EINVAL); /* wrong owner */
	assert_int_equal(pmem_owner_of(a), o1);
	assert_int_equal(pmem_free(a, PMEM_ORDER_4K, (u8)o1), 0);
	free_before = pmem_free_pages();
	assert_int_equal(pmem_free(a, PMEM_ORDER_4K, (u8)o1), -EINVAL); /* double free */
	assert_int_equal(pmem_free_pages(), free_before);
	/* 2M free over a block of which one frame is free: nothing is freed */
	assert_int_equal(pmem_alloc(PMEM_ORDER_2M, (u8)o1, &b), 0);
	assert_int_equal(pmem_free(spa_add(b, PAGE_SIZE), PMEM_ORDER_4K, (u8)o1), 0);
	free_before = pmem_free_pages();
	assert_int_equal(pmem_free(b, PMEM_ORDER_2M, (u8)o1), -EINVAL);
	assert_int_equal(pmem_free_pages(), free_before);
	assert_int_equal(pmem_owner_of(b), o1);
	/* misaligned, outside, bad order */
	assert_int_equal(pmem_free(spa_add(b, PAGE_SIZE), PMEM_ORDER_2M, (u8)o1), -EINVAL);
	assert_int_equal(pmem_free(spa(0x1000), PMEM_ORDER_4K, (u8)o1), -EINVAL);
	assert_int_equal(pmem_alloc(3, (u8)o1, &a), -EINVAL);
	assert_int_equal(pmem_alloc(PMEM_ORDER_4K, 200, &a), -EINVAL); /* unregistered */
}

static void test_scrub_on_free(void **state)
{
	int o;
	spa_t a;
	u8 *p;

	(void)state;
	init_one(0, 8 << 20);
	o = pmem_owner_register("secret");
	assert_int_equal(pmem_alloc(PMEM_ORDER_4K, (u8)o, &a), 0);
	p = phys_ptr(a);
	memset(p, 0x5A, PAGE_SIZE);
	assert_int_equal(pmem_free(a, PMEM_ORDER_4K, (u8)o), 0);
	assert_true(all_zero(a, PAGE_SIZE));
}

static void test_holes_and_reserve(void **state)
{
	struct pmem_region r[2] = {
	    {spa(WIN_BASE + (1 << 20)), 3 << 20},	   /* 1M..4M */
	    {spa(WIN_BASE + (10 << 20) + 123), (6 << 20)}, /* unaligned: 10M+4K..16M */
	};
	int o;
	spa_t a;

	(void)state;
	assert_int_equal(pmem_init(r, 2), 0);
	assert_int_equal(pmem_total_pages(), (3 << 8) + (6 << 8) - 1);
	assert_int_equal(pmem_owner_of(spa(WIN_BASE + (5 << 20))), PMEM_OWNER_NOT_RAM);
	assert_int_equal(pmem_owner_of(spa(WIN_BASE + (10 << 20))), PMEM_OWNER_NOT_RAM);
	o = pmem_owner_register("image");
	/* reserve a range that straddles a hole: only the RAM frames are taken */
	assert_int_equal(pmem_reserve(spa(WIN_BASE + (3 << 20)), 2 << 20, (u8)o), 256);
	assert_int_equal(pmem_owner_pages((u8)o), 256);
	/* reserving again takes nothing */
	assert_int_equal(pmem_reserve(spa(WIN_BASE + (3 << 20)), 2 << 20, (u8)o), 0);
	/* whole free 2M blocks: 12M, 14M (10M block has its first page missing) */
	assert_int_equal(pmem_free_2m_blocks(), 2);
	assert_int_equal(pmem_alloc(PMEM_ORDER_2M, (u8)o, &a), 0);
	assert_int_equal(spa_val(a), WIN_BASE + (12 << 20));
	/* transfer ownership */
	int o2 = pmem_owner_register("guest");
	assert_int_equal(pmem_transfer(a, PMEM_ORDER_2M, (u8)o, (u8)o2), 0);
	assert_int_equal(pmem_owner_pages((u8)o2), 512);
	assert_int_equal(pmem_transfer(a, PMEM_ORDER_2M, (u8)o, (u8)o2), -EINVAL);
}

static void test_no_memory(void **state)
{
	struct pmem_region r = {spa(WIN_BASE + 100), 4000}; /* less than a frame */

	(void)state;
	assert_int_equal(pmem_init(&r, 1), -EINVAL);
	assert_int_equal(pmem_init(&r, 0), -EINVAL);
}

static void test_random_alloc_free(void **state)
{
	enum { N = 600 };
	spa_t held[N];
	unsigned order[N];
	int o;
	u64 free0;
	unsigned n = 0;

	(void)state;
	init_one(0, WIN_SIZE);
	o = pmem_owner_register("rand");
	free0 = pmem_free_pages();
	srand(1234);
	for (int step = 0; step < 20000; step++) {
		if (n < N && (rand() % 3 != 0 || n == 0)) {
			unsigned ord = rand() % 16 == 0 ? PMEM_ORDER_2M : PMEM_ORDER_4K;
			int err = pmem_alloc(ord, (u8)o, &held[n]);

			if (err == 0) {
				assert_true(IS_ALIGNED(spa_val(held[n]), PAGE_SIZE << ord));
				/* no overlap with anything held */
				for (unsigned i = 0; i < n; i++) {
					u64 a0 = spa_val(held[i]),
					    a1 = a0 + (PAGE_SIZE << order[i]);
					u64 b0 = spa_val(held[n]), b1 = b0 + (PAGE_SIZE << ord);
					assert_true(b1 <= a0 || a1 <= b0);
				}
				order[n++] = ord;
			} else {
				assert_int_equal(err, -ENOMEM);
			}
		} else {
			unsigned i = (unsigned)rand() % n;

			assert_int_equal(pmem_free(held[i], order[i], (u8)o), 0);
			held[i] = held[--n];
			order[i] = order[n];
		}
		u64 used = 0;
		for (unsigned i = 0; i < n; i++)
			used += 1ULL << order[i];
		assert_int_equal(pmem_owner_pages((u8)o), used);
		assert_int_equal(pmem_free_pages() + used, free0);
	}
	while (n) {
		n--;
		assert_int_equal(pmem_free(held[n], order[n], (u8)o), 0);
	}
	assert_int_equal(pmem_free_pages(), free0);
}

/* Zero tracking: a frame scrubbed by pmem_free is handed out again without a
 * second memset, a frame never scrubbed (dirty at boot) or taken by
 * pmem_reserve and written is zeroed on allocation; every allocation,
 * 4K or 2M, reads zero. */
static void test_known_zero_frames(void **state)
{
	spa_t a, b, c;
	int o;

	(void)state;
	init_one(0, 8 << 20);
	o = pmem_owner_register("zero");
	assert_int_equal(pmem_alloc(PMEM_ORDER_4K, (u8)o, &a), 0);
	assert_true(all_zero(a, PAGE_SIZE)); /* dirty at boot: zeroed on allocation */
	memset(phys_ptr(a), 0x5A, PAGE_SIZE);
	assert_int_equal(pmem_free(a, PMEM_ORDER_4K, (u8)o), 0);
	assert_true(all_zero(a, PAGE_SIZE)); /* scrubbed on free */
	assert_int_equal(pmem_alloc(PMEM_ORDER_4K, (u8)o, &b), 0);
	assert_int_equal(spa_val(b), spa_val(a)); /* the partly used block first */
	assert_true(all_zero(b, PAGE_SIZE));
	/* a 2M block, then written, freed as 4K frames, reserved, written, freed */
	assert_int_equal(pmem_alloc(PMEM_ORDER_2M, (u8)o, &c), 0);
	assert_true(all_zero(c, HUGE_SIZE));
	memset(phys_ptr(c), 0x77, HUGE_SIZE);
	for (u64 off = 0; off < HUGE_SIZE; off += PAGE_SIZE)
		assert_int_equal(pmem_free(spa_add(c, off), PMEM_ORDER_4K, (u8)o), 0);
	assert_int_equal(pmem_reserve(spa_add(c, PAGE_SIZE), PAGE_SIZE, (u8)o), 1);
	memset(phys_ptr(spa_add(c, PAGE_SIZE)), 0x33, PAGE_SIZE);
	assert_int_equal(pmem_transfer(spa_add(c, PAGE_SIZE), PMEM_ORDER_4K, (u8)o, (u8)o), 0);
	assert_int_equal(pmem_free(spa_add(c, PAGE_SIZE), PMEM_ORDER_4K, (u8)o), 0);
	assert_int_equal(pmem_reserve(spa_add(c, 2 * PAGE_SIZE), PAGE_SIZE, (u8)o), 1);
	memset(phys_ptr(spa_add(c, 2 * PAGE_SIZE)), 0x44, 16);
	assert_int_equal(pmem_alloc(PMEM_ORDER_2M, (u8)o, &a), 0);
	assert_true(all_zero(a, HUGE_SIZE));
	/* the block with the reserved frame is partly used: 4K comes from it and is zero */
	while (pmem_alloc(PMEM_ORDER_4K, (u8)o, &b) == 0)
		assert_true(all_zero(b, PAGE_SIZE));
	assert_true(!all_zero(spa_add(c, 2 * PAGE_SIZE), 16)); /* still the owner's data */
}

/* pmem_state_save/restore (for test harnesses): every call after the save
 * is undone, owners and accounting included; another span is refused. */
static void test_state_save_restore(void **state)
{
	spa_t a, b, c, d;
	u8 *buf;
	int o, o2;
	u64 free0, owned0, blocks0;

	(void)state;
	init_one(0, 8 << 20);
	o = pmem_owner_register("snap");
	assert_int_equal(pmem_alloc(PMEM_ORDER_4K, (u8)o, &a), 0);
	assert_int_equal(pmem_alloc(PMEM_ORDER_2M, (u8)o, &b), 0);
	free0 = pmem_free_pages();
	owned0 = pmem_owner_pages((u8)o);
	blocks0 = pmem_free_2m_blocks();
	buf = malloc(pmem_state_size());
	assert_non_null(buf);
	pmem_state_save(buf);
	/* changes of every kind after the save */
	o2 = pmem_owner_register("later");
	assert_true(o2 > o);
	assert_int_equal(pmem_free(a, PMEM_ORDER_4K, (u8)o), 0);
	assert_int_equal(pmem_alloc(PMEM_ORDER_2M, (u8)o2, &c), 0);
	assert_int_equal(pmem_alloc(PMEM_ORDER_4K, (u8)o2, &d), 0);
	assert_int_equal(pmem_transfer(b, PMEM_ORDER_2M, (u8)o, (u8)o2), 0);
	assert_int_equal(pmem_state_restore(buf), 0);
	assert_int_equal(pmem_free_pages(), free0);
	assert_int_equal(pmem_owner_pages((u8)o), owned0);
	assert_int_equal(pmem_owner_pages((u8)o2), 0);
	assert_int_equal(pmem_free_2m_blocks(), blocks0);
	assert_int_equal(pmem_owner_of(a), o);
	assert_int_equal(pmem_owner_of(b), o);
	assert_int_equal(pmem_owner_of(c), PMEM_OWNER_FREE);
	assert_string_equal(pmem_owner_name((u8)o2), "?"); /* registered after the save */
	/* the same allocations again, in the same places */
	assert_int_equal(pmem_owner_register("later"), o2);
	assert_int_equal(pmem_alloc(PMEM_ORDER_2M, (u8)o2, &a), 0);
	assert_int_equal(spa_val(a), spa_val(c));
	assert_int_equal(pmem_free(b, PMEM_ORDER_2M, (u8)o), 0);
	/* another span: refused, nothing changed */
	init_one(2 << 20, 8 << 20);
	free0 = pmem_free_pages();
	assert_int_equal(pmem_state_restore(buf), -EINVAL);
	assert_int_equal(pmem_free_pages(), free0);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_init_accounting, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_alloc_scrubbed_and_aligned, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_exhaustion, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_2m_needs_whole_block, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_double_free_and_wrong_owner, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_scrub_on_free, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_holes_and_reserve, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_no_memory, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_random_alloc_free, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_known_zero_frames, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_state_save_restore, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
