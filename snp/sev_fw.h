/* SEV-SNP firmware ABI as the hypervisor sees it through the PSP mailbox:
 * command ids, command buffer layouts, status codes, guest policy bits.
 *
 * References: AMD "SEV Secure Nested Paging Firmware ABI Specification"
 * (56860), chapter 8 (SNP commands) and table "Status Codes"; the values
 * and layouts below were checked against Linux include/linux/psp-sev.h
 * (enum sev_cmd, struct sev_data_snp_*) and include/uapi/linux/psp-sev.h
 * (sev_ret_code). Command buffers are little-endian and packed; bitfields of
 * the ABI are kept as u32/u64 words with named masks (never C bitfields). */
#ifndef SNP_SEV_FW_H
#define SNP_SEV_FW_H

#include "hv/base/bits.h"
#include "hv/base/types.h"

/* ---- command ids (56860 "Command Identifiers"; Linux enum sev_cmd) ------ */
#define SEV_CMD_SNP_INIT	    0x081
#define SEV_CMD_SNP_SHUTDOWN	    0x082
#define SEV_CMD_SNP_PLATFORM_STATUS 0x083
#define SEV_CMD_SNP_DF_FLUSH	    0x084
#define SEV_CMD_SNP_INIT_EX	    0x085
#define SEV_CMD_SNP_SHUTDOWN_EX	    0x086
#define SEV_CMD_SNP_DECOMMISSION    0x090
#define SEV_CMD_SNP_ACTIVATE	    0x091
#define SEV_CMD_SNP_GUEST_STATUS    0x092
#define SEV_CMD_SNP_GCTX_CREATE	    0x093
#define SEV_CMD_SNP_GUEST_REQUEST   0x094
#define SEV_CMD_SNP_ACTIVATE_EX	    0x095
#define SEV_CMD_SNP_LAUNCH_START    0x0A0
#define SEV_CMD_SNP_LAUNCH_UPDATE   0x0A1
#define SEV_CMD_SNP_LAUNCH_FINISH   0x0A2
#define SEV_CMD_SNP_DBG_DECRYPT	    0x0B0
#define SEV_CMD_SNP_DBG_ENCRYPT	    0x0B1
#define SEV_CMD_SNP_PAGE_SWAP_OUT   0x0C0
#define SEV_CMD_SNP_PAGE_SWAP_IN    0x0C1
#define SEV_CMD_SNP_PAGE_MOVE	    0x0C2
#define SEV_CMD_SNP_PAGE_MD_INIT    0x0C3
#define SEV_CMD_SNP_PAGE_SET_STATE  0x0C6
#define SEV_CMD_SNP_PAGE_RECLAIM    0x0C7
#define SEV_CMD_SNP_PAGE_UNSMASH    0x0C8
#define SEV_CMD_SNP_CONFIG	    0x0C9
#define SEV_CMD_SNP_COMMIT	    0x0CB
#define SEV_CMD_MAX_ID		    0x7FF /* the CMDRESP command field is 11 bits */

/* ---- firmware status codes (56860 "Status Codes"; Linux sev_ret_code) --- */
#define SEV_RET_SUCCESS			  0x0000
#define SEV_RET_INVALID_PLATFORM_STATE	  0x0001
#define SEV_RET_INVALID_GUEST_STATE	  0x0002
#define SEV_RET_INVALID_CONFIG		  0x0003
#define SEV_RET_INVALID_LEN		  0x0004
#define SEV_RET_ALREADY_OWNED		  0x0005
#define SEV_RET_INVALID_CERTIFICATE	  0x0006
#define SEV_RET_POLICY_FAILURE		  0x0007
#define SEV_RET_INACTIVE		  0x0008
#define SEV_RET_INVALID_ADDRESS		  0x0009
#define SEV_RET_BAD_SIGNATURE		  0x000A
#define SEV_RET_BAD_MEASUREMENT		  0x000B
#define SEV_RET_ASID_OWNED		  0x000C
#define SEV_RET_INVALID_ASID		  0x000D
#define SEV_RET_WBINVD_REQUIRED		  0x000E
#define SEV_RET_DFFLUSH_REQUIRED	  0x000F
#define SEV_RET_INVALID_GUEST		  0x0010
#define SEV_RET_INVALID_COMMAND		  0x0011
#define SEV_RET_ACTIVE			  0x0012
#define SEV_RET_HWERROR_PLATFORM	  0x0013
#define SEV_RET_HWERROR_UNSAFE		  0x0014
#define SEV_RET_UNSUPPORTED		  0x0015
#define SEV_RET_INVALID_PARAM		  0x0016
#define SEV_RET_RESOURCE_LIMIT		  0x0017
#define SEV_RET_SECURE_DATA_INVALID	  0x0018
#define SEV_RET_INVALID_PAGE_SIZE	  0x0019
#define SEV_RET_INVALID_PAGE_STATE	  0x001A
#define SEV_RET_INVALID_MDATA_ENTRY	  0x001B
#define SEV_RET_INVALID_PAGE_OWNER	  0x001C
#define SEV_RET_AEAD_OFLOW		  0x001D
#define SEV_RET_EXIT_RING_BUFFER	  0x001F
#define SEV_RET_RMP_INIT_REQUIRED	  0x0020
#define SEV_RET_BAD_SVN			  0x0021
#define SEV_RET_BAD_VERSION		  0x0022
#define SEV_RET_SHUTDOWN_REQUIRED	  0x0023
#define SEV_RET_UPDATE_FAILED		  0x0024
#define SEV_RET_RESTORE_REQUIRED	  0x0025
#define SEV_RET_RMP_INITIALIZATION_FAILED 0x0026
#define SEV_RET_INVALID_KEY		  0x0027

/* "INVALID_PARAM", ... for a known code, "UNKNOWN" otherwise. */
const char *sev_ret_name(u32 code);

/* ---- SNP platform states (56860 "Platform State Machine") -------------- */
#define SNP_PSTATE_UNINIT 0
#define SNP_PSTATE_INIT	  1

/* ---- guest states (56860 "Guest State Machine") ------------------------ */
#define SNP_GSTATE_INIT	   0 /* after GCTX_CREATE */
#define SNP_GSTATE_LAUNCH  1 /* after LAUNCH_START */
#define SNP_GSTATE_RUNNING 2 /* after LAUNCH_FINISH */

/* ---- guest policy (56860 "Guest Policy"; Linux SNP_POLICY_MASK_*) ------- */
#define SNP_POLICY_ABI_MINOR	     GENMASK(7, 0)
#define SNP_POLICY_ABI_MAJOR	     GENMASK(15, 8)
#define SNP_POLICY_SMT		     BIT(16)
#define SNP_POLICY_RSVD_MBO	     BIT(17) /* must be one */
#define SNP_POLICY_MIGRATE_MA	     BIT(18)
#define SNP_POLICY_DEBUG	     BIT(19)
#define SNP_POLICY_SINGLE_SOCKET     BIT(20)
#define SNP_POLICY_CXL_ALLOW	     BIT(21)
#define SNP_POLICY_MEM_AES_256_XTS   BIT(22)
#define SNP_POLICY_RAPL_DIS	     BIT(23)
#define SNP_POLICY_CIPHERTEXT_HIDING BIT(24)
#define SNP_POLICY_PAGE_SWAP_DISABLE BIT(25)
#define SNP_POLICY_KNOWN	     GENMASK(25, 0)

/* ---- command buffers ---------------------------------------------------- */

/* SNP_GCTX_CREATE, SNP_DECOMMISSION, SNP_PLATFORM_STATUS: one address
 * (Linux struct sev_data_snp_addr). */
struct sev_data_snp_addr {
	u64 address;
} __packed;
CHECK_SIZE(struct sev_data_snp_addr, 8);

/* SNP_INIT_EX (56860 8.x; Linux struct sev_data_snp_init_ex). */
struct sev_data_snp_init_ex {
	u32 flags; /* SNP_INIT_EX_* */
	u32 rsvd1;
	u64 list_paddr;
	u16 max_snp_asid;
	u8 rsvd2[46];
} __packed;
CHECK_SIZE(struct sev_data_snp_init_ex, 64);
CHECK_OFFSET(struct sev_data_snp_init_ex, list_paddr, 8);
CHECK_OFFSET(struct sev_data_snp_init_ex, max_snp_asid, 16);
#define SNP_INIT_EX_INIT_RMP	      BIT(0)
#define SNP_INIT_EX_LIST_PADDR_EN     BIT(1)
#define SNP_INIT_EX_RAPL_DIS	      BIT(2)
#define SNP_INIT_EX_CIPHERTEXT_HIDING BIT(3)
#define SNP_INIT_EX_TIO_EN	      BIT(4)

/* SNP_PLATFORM_STATUS output page (Linux struct sev_user_data_snp_status). */
struct sev_snp_platform_status {
	u8 api_major;
	u8 api_minor;
	u8 state; /* SNP_PSTATE_* */
	u8 flags; /* bit 0: RMP initialised */
	u32 build_id;
	u32 features; /* bit 0 mask_chip_id, 1 mask_chip_key, 2 vlek_en */
	u32 guest_count;
	u64 current_tcb_version;
	u64 reported_tcb_version;
} __packed;
CHECK_SIZE(struct sev_snp_platform_status, 0x20);
CHECK_OFFSET(struct sev_snp_platform_status, build_id, 4);
CHECK_OFFSET(struct sev_snp_platform_status, guest_count, 0xC);
CHECK_OFFSET(struct sev_snp_platform_status, current_tcb_version, 0x10);
#define SNP_STATUS_RMP_INIT BIT(0)

/* SNP_ACTIVATE (56860 8.10; Linux struct sev_data_snp_activate). */
struct sev_data_snp_activate {
	u64 gctx_paddr;
	u32 asid;
} __packed;
CHECK_SIZE(struct sev_data_snp_activate, 12);
CHECK_OFFSET(struct sev_data_snp_activate, asid, 8);

/* SNP_LAUNCH_START (56860 8.16; Linux struct sev_data_snp_launch_start). */
struct sev_data_snp_launch_start {
	u64 gctx_paddr;
	u64 policy;
	u64 ma_gctx_paddr;
	u32 flags; /* SNP_LAUNCH_START_* */
	u32 desired_tsc_khz;
	u8 gosvw[16];
} __packed;
CHECK_SIZE(struct sev_data_snp_launch_start, 0x30);
CHECK_OFFSET(struct sev_data_snp_launch_start, policy, 0x08);
CHECK_OFFSET(struct sev_data_snp_launch_start, ma_gctx_paddr, 0x10);
CHECK_OFFSET(struct sev_data_snp_launch_start, flags, 0x18);
CHECK_OFFSET(struct sev_data_snp_launch_start, desired_tsc_khz, 0x1C);
CHECK_OFFSET(struct sev_data_snp_launch_start, gosvw, 0x20);
#define SNP_LAUNCH_START_MA_EN	BIT(0)
#define SNP_LAUNCH_START_IMI_EN BIT(1)

/* SNP_LAUNCH_UPDATE (56860 8.17; Linux struct sev_data_snp_launch_update).
 * The dword at 0x08 holds page_size [0], page_type [3:1], imi_page [4]; the
 * dword at 0x18 holds rsvd [7:0], vmpl1 [15:8], vmpl2 [23:16], vmpl3 [31:24]. */
struct sev_data_snp_launch_update {
	u64 gctx_paddr;
	u32 page_info; /* SNP_LU_* */
	u32 rsvd2;
	u64 address; /* SPA of the page */
	u32 perms;   /* SNP_LU_VMPL*_PERMS */
	u32 rsvd4;
} __packed;
CHECK_SIZE(struct sev_data_snp_launch_update, 0x20);
CHECK_OFFSET(struct sev_data_snp_launch_update, page_info, 0x08);
CHECK_OFFSET(struct sev_data_snp_launch_update, address, 0x10);
CHECK_OFFSET(struct sev_data_snp_launch_update, perms, 0x18);
#define SNP_LU_PAGE_SIZE   BIT(0) /* 0: 4K, 1: 2M */
#define SNP_LU_PAGE_TYPE   GENMASK(3, 1)
#define SNP_LU_IMI_PAGE	   BIT(4)
#define SNP_LU_RSVD	   GENMASK(31, 5)
#define SNP_LU_PERMS_RSVD  GENMASK(7, 0)
#define SNP_LU_VMPL1_PERMS GENMASK(15, 8)
#define SNP_LU_VMPL2_PERMS GENMASK(23, 16)
#define SNP_LU_VMPL3_PERMS GENMASK(31, 24)

/* SNP_LAUNCH_FINISH (56860 8.18; Linux struct sev_data_snp_launch_finish). */
struct sev_data_snp_launch_finish {
	u64 gctx_paddr;
	u64 id_block_paddr;
	u64 id_auth_paddr;
	u64 flags; /* SNP_LF_* */
	u8 host_data[32];
} __packed;
CHECK_SIZE(struct sev_data_snp_launch_finish, 0x40);
CHECK_OFFSET(struct sev_data_snp_launch_finish, flags, 0x18);
CHECK_OFFSET(struct sev_data_snp_launch_finish, host_data, 0x20);
#define SNP_LF_ID_BLOCK_EN   BIT(0)
#define SNP_LF_AUTH_KEY_EN   BIT(1)
#define SNP_LF_VCEK_DISABLED BIT(2)
#define SNP_LF_RSVD	     GENMASK(63, 3)

/* SNP_PAGE_RECLAIM (56860 8.x; Linux struct sev_data_snp_page_reclaim):
 * bit 0 of the address is the page size (0 4K, 1 2M). */
struct sev_data_snp_page_reclaim {
	u64 paddr;
} __packed;
CHECK_SIZE(struct sev_data_snp_page_reclaim, 8);
#define SNP_RECLAIM_PAGE_SIZE BIT(0)

/* SNP_GUEST_REQUEST (Linux struct sev_data_snp_guest_request). */
struct sev_data_snp_guest_request {
	u64 gctx_paddr;
	u64 req_paddr;
	u64 res_paddr;
} __packed;
CHECK_SIZE(struct sev_data_snp_guest_request, 24);

/* CPUID page (56860 "CPUID Reporting"; Linux struct snp_cpuid_table). */
#define SNP_CPUID_COUNT_MAX 64
struct snp_cpuid_fn {
	u32 eax_in;
	u32 ecx_in;
	u64 xcr0_in;
	u64 xss_in;
	u32 eax;
	u32 ebx;
	u32 ecx;
	u32 edx;
	u64 reserved;
} __packed;
CHECK_SIZE(struct snp_cpuid_fn, 48);
struct snp_cpuid_table {
	u32 count;
	u32 reserved1;
	u64 reserved2;
	struct snp_cpuid_fn fn[SNP_CPUID_COUNT_MAX];
} __packed;
CHECK_SIZE(struct snp_cpuid_table, 16 + 64 * 48);

#endif
