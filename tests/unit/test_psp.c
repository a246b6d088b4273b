/* Unit tests of the PSP mailbox driver (snp/psp.c) running against the SNP
 * firmware model (snp/psp_model.c) behind its fake register file, over a
 * fake physical memory window that holds the RMP model, the driver's command
 * page and test pages. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hv/base/mem.h"
#include "snp/psp.h"
#include "snp/psp_model.h"
#include "snp/rmp.h"
#include "snp/sev_fw.h"
#include "hv/arch/host/host_env.h"

#define WIN_BASE 0x1000000ULL /* 16 MiB */
#define WIN_SIZE 0x1000000ULL
#define COVERED	 0x2000000ULL /* the RMP covers [0, 32 MiB) */
#define TBL_SIZE 0x24000ULL   /* (8192 << 4) + 0x4000 */
#define CMDBUF	 (WIN_BASE + 0x100000)
#define PAGE_A	 (WIN_BASE + 0x200000)

static u8 *win;
static struct rmp rmp;
static struct psp_model model;
static struct psp psp;

/* Register-level trace of what the driver does (wraps the model). */
struct trace {
	u32 off[16];
	u32 val[16];
	unsigned n;
	unsigned reads;
};
static struct trace tr;

static u32 t_read32(void *ctx, u32 off)
{
	tr.reads++;
	return psp_model_mmio_ops.read32(ctx, off);
}

static void t_write32(void *ctx, u32 off, u32 v)
{
	if (tr.n < 16) {
		tr.off[tr.n] = off;
		tr.val[tr.n] = v;
		tr.n++;
	}
	psp_model_mmio_ops.write32(ctx, off, v);
}

static const struct psp_mmio_ops trace_ops = {.read32 = t_read32, .write32 = t_write32};

static int setup(void **state)
{
	(void)state;
	win = aligned_alloc(HUGE_SIZE, WIN_SIZE);
	memset(win, 0x5A, WIN_SIZE);
	host_phys_window(win, spa(WIN_BASE), WIN_SIZE);
	if (rmp_init_model(&rmp, spa(WIN_BASE), TBL_SIZE, COVERED))
		return -1;
	if (psp_model_init(&model, &rmp, NULL, NULL))
		return -1;
	memset(&tr, 0, sizeof(tr));
	return psp_init(&psp, &trace_ops, &model, &psp_sev_regs_v2, spa(CMDBUF), 1000);
}

static int teardown(void **state)
{
	(void)state;
	host_phys_window(NULL, spa(0), 0);
	free(win);
	return 0;
}

static void test_register_tables(void **state)
{
	(void)state;
	assert_int_equal(psp_sev_regs_v1.cmdresp, 0x10580);
	assert_int_equal(psp_sev_regs_v1.cmdbuff_addr_lo, 0x105e0);
	assert_int_equal(psp_sev_regs_v1.cmdbuff_addr_hi, 0x105e4);
	assert_int_equal(psp_sev_regs_v2.cmdresp, 0x10980);
	assert_int_equal(psp_sev_regs_v2.cmdbuff_addr_lo, 0x109e0);
	assert_int_equal(psp_sev_regs_v2.cmdbuff_addr_hi, 0x109e4);
	assert_ptr_equal(psp_sev_regs_for_pci(0x1022, 0x1456), &psp_sev_regs_v1);
	assert_ptr_equal(psp_sev_regs_for_pci(0x1022, 0x1486), &psp_sev_regs_v2);
	assert_ptr_equal(psp_sev_regs_for_pci(0x1022, 0x14CA), &psp_sev_regs_v2);
	assert_ptr_equal(psp_sev_regs_for_pci(0x1022, 0x156E), &psp_sev_regs_v2);
	assert_null(psp_sev_regs_for_pci(0x1022, 0x15DF)); /* no SEV mailbox */
	assert_null(psp_sev_regs_for_pci(0x8086, 0x1486));
	assert_int_equal(PSP_CMDRESP_CMD, 0x07FF0000U);
	assert_int_equal(PSP_CMDRESP_RESP, 0x80000000U);
}

static void test_register_protocol(void **state)
{
	struct sev_data_snp_addr d = {.address = PAGE_A};
	u32 sts;

	(void)state;
	assert_int_equal(psp_cmd(&psp, SEV_CMD_SNP_INIT, NULL, 0, &sts), 0);
	assert_int_equal(sts, SEV_RET_SUCCESS);
	/* no buffer: both address registers 0, then the command */
	assert_int_equal(tr.n, 3);
	assert_int_equal(tr.off[0], 0x109e0);
	assert_int_equal(tr.val[0], 0);
	assert_int_equal(tr.off[1], 0x109e4);
	assert_int_equal(tr.val[1], 0);
	assert_int_equal(tr.off[2], 0x10980);
	assert_int_equal(tr.val[2], 0x00810000); /* id in [26:16], IOC clear */
	assert_true(tr.reads >= 1);

	/* with a buffer: its SPA split over LO/HI, the buffer copied in */
	tr.n = 0;
	assert_int_equal(rmp_make_private(&rmp, spa(PAGE_A), 0, gpa(0), RMP_PG_SIZE_4K, true), 0);
	assert_int_equal(psp_cmd(&psp, SEV_CMD_SNP_PLATFORM_STATUS, &d, sizeof(d), &sts), 0);
	assert_int_equal(tr.val[0], (u32)CMDBUF);
	assert_int_equal(tr.val[1], (u32)(CMDBUF >> 32));
	assert_int_equal(tr.val[2], SEV_CMD_SNP_PLATFORM_STATUS << 16);
	assert_memory_equal(phys_ptr(spa(CMDBUF)), &d, sizeof(d));
	assert_int_equal(psp.stats.commands, 2);
}

static void test_platform_status_contents(void **state)
{
	struct sev_data_snp_addr d = {.address = PAGE_A};
	struct sev_snp_platform_status st;
	u32 sts;

	(void)state;
	/* status page must be a firmware page */
	assert_int_equal(psp_cmd(&psp, SEV_CMD_SNP_PLATFORM_STATUS, &d, sizeof(d), &sts), -EIO);
	assert_int_equal(sts, SEV_RET_INVALID_PAGE_STATE);
	assert_int_equal(rmp_make_private(&rmp, spa(PAGE_A), 0, gpa(0), RMP_PG_SIZE_4K, true), 0);
	assert_int_equal(psp_cmd(&psp, SEV_CMD_SNP_PLATFORM_STATUS, &d, sizeof(d), &sts), 0);
	memcpy(&st, phys_ptr(spa(PAGE_A)), sizeof(st));
	assert_int_equal(st.api_major, 1);
	assert_int_equal(st.api_minor, 55);
	assert_int_equal(st.state, SNP_PSTATE_UNINIT);
	assert_int_equal(psp_cmd(&psp, SEV_CMD_SNP_INIT, NULL, 0, &sts), 0);
	assert_int_equal(psp_cmd(&psp, SEV_CMD_SNP_PLATFORM_STATUS, &d, sizeof(d), &sts), 0);
	memcpy(&st, phys_ptr(spa(PAGE_A)), sizeof(st));
	assert_int_equal(st.state, SNP_PSTATE_INIT);
	assert_int_equal(st.guest_count, 0);
	/* unaligned / zero status address */
	d.address = PAGE_A + 8;
	assert_int_equal(psp_cmd(&psp, SEV_CMD_SNP_PLATFORM_STATUS, &d, sizeof(d), &sts), -EIO);
	assert_int_equal(sts, SEV_RET_INVALID_ADDRESS);
}

static void test_platform_state_errors(void **state)
{
	struct sev_data_snp_addr d = {.address = PAGE_A};
	struct sev_data_snp_init_ex ex;
	u32 sts;

	(void)state;
	/* guest commands before SNP_INIT */
	assert_int_equal(psp_cmd(&psp, SEV_CMD_SNP_GCTX_CREATE, &d, sizeof(d), &sts), -EIO);
	assert_int_equal(sts, SEV_RET_INVALID_PLATFORM_STATE);
	assert_int_equal(psp_cmd(&psp, SEV_CMD_SNP_DF_FLUSH, NULL, 0, &sts), -EIO);
	assert_int_equal(sts, SEV_RET_INVALID_PLATFORM_STATE);
	/* INIT_EX: reserved bytes and unsupported flags */
	memset(&ex, 0, sizeof(ex));
	ex.rsvd2[45] = 1;
	assert_int_equal(psp_cmd(&psp, SEV_CMD_SNP_INIT_EX, &ex, sizeof(ex), &sts), -EIO);
	assert_int_equal(sts, SEV_RET_INVALID_PARAM);
	memset(&ex, 0, sizeof(ex));
	ex.flags = SNP_INIT_EX_LIST_PADDR_EN;
	assert_int_equal(psp_cmd(&psp, SEV_CMD_SNP_INIT_EX, &ex, sizeof(ex), &sts), -EIO);
	assert_int_equal(sts, SEV_RET_UNSUPPORTED);
	ex.flags = SNP_INIT_EX_INIT_RMP;
	assert_int_equal(psp_cmd(&psp, SEV_CMD_SNP_INIT_EX, &ex, sizeof(ex), &sts), 0);
	/* double init */
	assert_int_equal(psp_cmd(&psp, SEV_CMD_SNP_INIT, NULL, 0, &sts), -EIO);
	assert_int_equal(sts, SEV_RET_INVALID_PLATFORM_STATE);
	assert_int_equal(psp_cmd(&psp, SEV_CMD_SNP_DF_FLUSH, NULL, 0, &sts), 0);
	assert_int_equal(psp_cmd(&psp, SEV_CMD_SNP_SHUTDOWN, NULL, 0, &sts), 0);
	assert_int_equal(psp_cmd(&psp, SEV_CMD_SNP_INIT, NULL, 0, &sts), 0);
	/* unknown command */
	assert_int_equal(psp_cmd(&psp, 0x7FF, NULL, 0, &sts), -EIO);
	assert_int_equal(sts, SEV_RET_INVALID_COMMAND);
	assert_int_equal(psp.stats.fw_errors, 6);
}

static void test_buffer_rules(void **state)
{
	struct sev_data_snp_addr d = {.address = PAGE_A};
	struct psp p2;
	u32 sts;

	(void)state;
	assert_int_equal(psp_cmd(&psp, SEV_CMD_SNP_INIT, NULL, 0, &sts), 0);
	/* a buffer-taking command without a buffer */
	assert_int_equal(psp_cmd(&psp, SEV_CMD_SNP_GCTX_CREATE, NULL, 0, &sts), -EIO);
	assert_int_equal(sts, SEV_RET_INVALID_ADDRESS);
	/* the command page is assigned (guest page): the firmware refuses it */
	assert_int_equal(
	    rmp_make_private(&rmp, spa(PAGE_A + PAGE_SIZE), 7, gpa(0), RMP_PG_SIZE_4K, false), 0);
	assert_int_equal(psp_init(&p2, &psp_model_mmio_ops, &model, &psp_sev_regs_v2,
				  spa(PAGE_A + PAGE_SIZE), 10),
			 0);
	assert_int_equal(psp_cmd(&p2, SEV_CMD_SNP_GCTX_CREATE, &d, sizeof(d), &sts), -EIO);
	assert_int_equal(sts, SEV_RET_INVALID_PAGE_STATE);
}

static void test_driver_arguments(void **state)
{
	struct psp p2;
	u8 big[PAGE_SIZE + 1];
	u32 sts = 0;

	(void)state;
	assert_int_equal(psp_cmd(&psp, 0, NULL, 0, &sts), -EINVAL);
	assert_int_equal(sts, PSP_STATUS_NONE);
	assert_int_equal(psp_cmd(&psp, 0x800, NULL, 0, &sts), -EINVAL); /* beyond [26:16] */
	assert_int_equal(psp_cmd(&psp, SEV_CMD_SNP_INIT, big, sizeof(big), &sts), -EINVAL);
	assert_int_equal(psp_cmd(&psp, SEV_CMD_SNP_INIT, NULL, 8, &sts), -EINVAL);
	assert_int_equal(
	    psp_init(&p2, &psp_model_mmio_ops, &model, &psp_sev_regs_v2, spa(CMDBUF + 8), 0),
	    -EINVAL);
	assert_int_equal(psp_init(&p2, NULL, &model, &psp_sev_regs_v2, spa(CMDBUF), 0), -EINVAL);
	memset(&p2, 0, sizeof(p2));
	assert_int_equal(psp_cmd(&p2, SEV_CMD_SNP_INIT, NULL, 0, &sts), -ENODEV);
	assert_int_equal(tr.n, 0); /* nothing reached the registers */
}

static void test_stalled_firmware_times_out(void **state)
{
	u32 sts = 0;

	(void)state;
	model.stall = true;
	assert_int_equal(psp_cmd(&psp, SEV_CMD_SNP_INIT, NULL, 0, &sts), -ETIMEDOUT);
	assert_int_equal(sts, PSP_STATUS_NONE);
	assert_int_equal(psp.stats.timeouts, 1);
	assert_int_equal(psp.stats.polls, 1000);
	assert_true(psp.dead);
	assert_int_equal(model.commands, 0); /* never ran */
	/* the mailbox is considered dead from now on */
	model.stall = false;
	tr.n = 0;
	assert_int_equal(psp_cmd(&psp, SEV_CMD_SNP_INIT, NULL, 0, &sts), -EBUSY);
	assert_int_equal(tr.n, 0);
}

static void test_v1_layout(void **state)
{
	struct psp p1;
	struct psp_model m1;
	u32 sts;

	(void)state;
	assert_int_equal(psp_model_init(&m1, &rmp, NULL, &psp_sev_regs_v1), 0);
	assert_int_equal(psp_init(&p1, &psp_model_mmio_ops, &m1, &psp_sev_regs_v1, spa(CMDBUF), 5),
			 0);
	assert_int_equal(psp_cmd(&p1, SEV_CMD_SNP_INIT, NULL, 0, &sts), 0);
	assert_int_equal(m1.state, SNP_PSTATE_INIT);
	/* a driver using the wrong layout never sees a response */
	assert_int_equal(psp_init(&p1, &psp_model_mmio_ops, &m1, &psp_sev_regs_v2, spa(CMDBUF), 5),
			 0);
	assert_int_equal(psp_cmd(&p1, SEV_CMD_SNP_DF_FLUSH, NULL, 0, &sts), -ETIMEDOUT);
}

static void test_ret_names(void **state)
{
	(void)state;
	assert_string_equal(sev_ret_name(0x16), "INVALID_PARAM");
	assert_string_equal(sev_ret_name(0x1A), "INVALID_PAGE_STATE");
	assert_string_equal(sev_ret_name(0x0F), "DFFLUSH_REQUIRED");
	assert_string_equal(sev_ret_name(0x1E), "UNKNOWN");
	assert_string_equal(sev_ret_name(0x9999), "UNKNOWN");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_register_tables, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_register_protocol, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_platform_status_contents, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_platform_state_errors, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_buffer_rules, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_driver_arguments, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stalled_firmware_times_out, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_v1_layout, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ret_names, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
