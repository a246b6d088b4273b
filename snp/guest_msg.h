/* SEV-SNP guest messages: what a guest and the SNP firmware exchange through
 * SNP_GUEST_REQUEST, and the secrets page holding the keys that protect them.
 * Shared by the firmware model (snp/psp_model.c), the hypervisor and the
 * guest library (guest/lib/snp.c); plain layouts, no code.
 *
 * References: SNP firmware ABI (AMD 56860) 8.26 SNP_GUEST_REQUEST and its
 * tables "Message Header", "Message Types", "MSG_REPORT_REQ",
 * "MSG_REPORT_RSP", "ATTESTATION_REPORT Structure", and "Secrets Page";
 * the layouts were checked against Linux arch/x86/include/asm/sev.h (struct
 * snp_guest_msg_hdr, snp_guest_msg, snp_secrets_page) and
 * include/uapi/linux/sev-guest.h (snp_report_req, snp_report_resp) and the
 * attestation report layout of COCONUT-SVSM / virtee sev. Little-endian,
 * packed; flag words are integers with named masks. */
#ifndef SNP_GUEST_MSG_H
#define SNP_GUEST_MSG_H

#include "hv/base/bits.h"
#include "hv/base/types.h"

/* ---- secrets page (56860 "Secrets Page", version 2/3) ------------------ */
/* snpvisor's launch layout (docs/guest-abi.md, docs/measure.md): the secrets
 * page of every SNP guest is launched at this GPA (LAUNCH_UPDATE type
 * SECRETS, after the boot page tables), so an SNP image loads at or above
 * SNP_GUEST_LOAD_MIN. */
#define SNP_SECRETS_GPA	   0x8000ULL
#define SNP_GUEST_LOAD_MIN 0x9000ULL
#define SNP_VMPCK_SIZE	   32
#define SNP_VMPCK_COUNT	   4
struct snp_secrets_page {
	u32 version;
	u32 imien; /* bit 0: IMI enabled */
	u32 fms;   /* family/model/stepping */
	u32 rsvd1;
	u8 gosvw[16];
	u8 vmpck[SNP_VMPCK_COUNT][SNP_VMPCK_SIZE];
	u8 os_area[96]; /* for the guest OS (GHCB spec: message sequence numbers) */
	u8 vmsa_tweak_bitmap[64];
	u8 rsvd2[32];
	u32 tsc_factor;
	u8 rsvd3[4096 - 0x164];
} __packed;
CHECK_SIZE(struct snp_secrets_page, 4096);
CHECK_OFFSET(struct snp_secrets_page, gosvw, 0x10);
CHECK_OFFSET(struct snp_secrets_page, vmpck, 0x20);
CHECK_OFFSET(struct snp_secrets_page, os_area, 0xA0);
CHECK_OFFSET(struct snp_secrets_page, vmsa_tweak_bitmap, 0x100);
CHECK_OFFSET(struct snp_secrets_page, tsc_factor, 0x160);

/* ---- guest message header (56860 "Message Header") ---------------------- */
#define SNP_AEAD_INVALID     0
#define SNP_AEAD_AES_256_GCM 1
#define SNP_MSG_HDR_VERSION  1
#define SNP_MSG_TYPE_INVALID 0
#define SNP_MSG_CPUID_REQ    1
#define SNP_MSG_CPUID_RSP    2
#define SNP_MSG_KEY_REQ	     3
#define SNP_MSG_KEY_RSP	     4
#define SNP_MSG_REPORT_REQ   5
#define SNP_MSG_REPORT_RSP   6
#define SNP_MSG_VERSION	     1

struct snp_guest_msg_hdr {
	u8 authtag[32]; /* AES-256-GCM: the 16-byte tag, then zeros */
	u64 msg_seqno;
	u8 rsvd1[8];
	/* from here to the end: the additional authenticated data */
	u8 algo; /* SNP_AEAD_* */
	u8 hdr_version;
	u16 hdr_sz;
	u8 msg_type; /* SNP_MSG_* */
	u8 msg_version;
	u16 msg_sz; /* payload bytes */
	u32 rsvd2;
	u8 msg_vmpck; /* VMPCK index 0..3 the message is protected with */
	u8 rsvd3[35];
} __packed;
CHECK_SIZE(struct snp_guest_msg_hdr, 0x60);
CHECK_OFFSET(struct snp_guest_msg_hdr, msg_seqno, 0x20);
CHECK_OFFSET(struct snp_guest_msg_hdr, algo, 0x30);
CHECK_OFFSET(struct snp_guest_msg_hdr, hdr_sz, 0x32);
CHECK_OFFSET(struct snp_guest_msg_hdr, msg_type, 0x34);
CHECK_OFFSET(struct snp_guest_msg_hdr, msg_sz, 0x36);
CHECK_OFFSET(struct snp_guest_msg_hdr, msg_vmpck, 0x3C);
#define SNP_MSG_AAD_OFFSET 0x30 /* offsetof(algo): AAD = header[0x30, 0x60) */
#define SNP_MSG_AAD_SIZE   (sizeof(struct snp_guest_msg_hdr) - SNP_MSG_AAD_OFFSET)
#define SNP_MSG_TAG_SIZE   16

/* A message page: the header, then the encrypted payload. */
#define SNP_MSG_PAYLOAD_MAX (4096 - sizeof(struct snp_guest_msg_hdr))
struct snp_guest_msg {
	struct snp_guest_msg_hdr hdr;
	u8 payload[SNP_MSG_PAYLOAD_MAX];
} __packed;
CHECK_SIZE(struct snp_guest_msg, 4096);

/* IV of a message (56860 "Message Header"): the 64-bit sequence number,
 * little-endian, in the first 8 of the 12 IV bytes, the rest zero. */
static inline void snp_msg_iv(u64 seqno, u8 iv[12])
{
	for (unsigned k = 0; k < 12; k++)
		iv[k] = k < 8 ? (u8)(seqno >> (8 * k)) : 0;
}

/* ---- MSG_REPORT_REQ / MSG_REPORT_RSP (56860 "Attestation") -------------- */
struct snp_report_req {
	u8 user_data[64]; /* becomes REPORT_DATA */
	u32 vmpl;	  /* VMPL to put in the report: >= the requester's */
	u8 rsvd[28];
} __packed;
CHECK_SIZE(struct snp_report_req, 96);
CHECK_OFFSET(struct snp_report_req, vmpl, 0x40);

/* ATTESTATION_REPORT (56860 table "ATTESTATION_REPORT Structure"). */
#define SNP_REPORT_VERSION	   2	 /* API 1.55; version 3 fills the CPUID bytes */
#define SNP_SIG_ALGO_ECDSA_P384	   1	 /* ECDSA P-384 with SHA-384 */
#define SNP_REPORT_SIGNED_SIZE	   0x2A0 /* bytes 0..0x29F are signed */
#define SNP_REPORT_F_AUTHOR_KEY_EN BIT(0)
#define SNP_REPORT_F_MASK_CHIP_KEY BIT(1)
#define SNP_REPORT_F_SIGNING_KEY   GENMASK(4, 2) /* 0 VCEK, 1 VLEK, 7 none */
#define SNP_REPORT_SIGNING_VCEK	   0
#define SNP_PLATFORM_INFO_SMT_EN   BIT(0)
#define SNP_PLATFORM_INFO_TSME_EN  BIT(1)
struct snp_attestation_report {
	u32 version;
	u32 guest_svn;
	u64 policy;
	u8 family_id[16];
	u8 image_id[16];
	u32 vmpl;
	u32 signature_algo; /* SNP_SIG_ALGO_* */
	u64 current_tcb;
	u64 platform_info;
	u32 flags; /* SNP_REPORT_F_* */
	u32 rsvd0;
	u8 report_data[64];
	u8 measurement[48];
	u8 host_data[32];
	u8 id_key_digest[48];
	u8 author_key_digest[48];
	u8 report_id[32];
	u8 report_id_ma[32];
	u64 reported_tcb;
	u8 cpuid_fam_id;
	u8 cpuid_mod_id;
	u8 cpuid_step;
	u8 rsvd1[21];
	u8 chip_id[64];
	u64 committed_tcb;
	u8 current_build, current_minor, current_major, rsvd2;
	u8 committed_build, committed_minor, committed_major, rsvd3;
	u64 launch_tcb;
	u8 rsvd4[168];
	u8 signature[512]; /* R (72 bytes) || S (72 bytes) || reserved, little-endian */
} __packed;
CHECK_SIZE(struct snp_attestation_report, 0x4A0);
CHECK_OFFSET(struct snp_attestation_report, policy, 0x08);
CHECK_OFFSET(struct snp_attestation_report, family_id, 0x10);
CHECK_OFFSET(struct snp_attestation_report, image_id, 0x20);
CHECK_OFFSET(struct snp_attestation_report, vmpl, 0x30);
CHECK_OFFSET(struct snp_attestation_report, signature_algo, 0x34);
CHECK_OFFSET(struct snp_attestation_report, current_tcb, 0x38);
CHECK_OFFSET(struct snp_attestation_report, platform_info, 0x40);
CHECK_OFFSET(struct snp_attestation_report, flags, 0x48);
CHECK_OFFSET(struct snp_attestation_report, report_data, 0x50);
CHECK_OFFSET(struct snp_attestation_report, measurement, 0x90);
CHECK_OFFSET(struct snp_attestation_report, host_data, 0xC0);
CHECK_OFFSET(struct snp_attestation_report, id_key_digest, 0xE0);
CHECK_OFFSET(struct snp_attestation_report, author_key_digest, 0x110);
CHECK_OFFSET(struct snp_attestation_report, report_id, 0x140);
CHECK_OFFSET(struct snp_attestation_report, report_id_ma, 0x160);
CHECK_OFFSET(struct snp_attestation_report, reported_tcb, 0x180);
CHECK_OFFSET(struct snp_attestation_report, cpuid_fam_id, 0x188);
CHECK_OFFSET(struct snp_attestation_report, chip_id, 0x1A0);
CHECK_OFFSET(struct snp_attestation_report, committed_tcb, 0x1E0);
CHECK_OFFSET(struct snp_attestation_report, current_build, 0x1E8);
CHECK_OFFSET(struct snp_attestation_report, committed_build, 0x1EC);
CHECK_OFFSET(struct snp_attestation_report, launch_tcb, 0x1F0);
CHECK_OFFSET(struct snp_attestation_report, signature, SNP_REPORT_SIGNED_SIZE);

/* MSG_REPORT_RSP payload. */
#define SNP_REPORT_RSP_SUCCESS	     0x00
#define SNP_REPORT_RSP_INVALID_PARAM 0x16
#define SNP_REPORT_RSP_INVALID_KEY   0x27
struct snp_report_resp {
	u32 status; /* SNP_REPORT_RSP_* */
	u32 report_size;
	u8 rsvd[24];
	struct snp_attestation_report report;
} __packed;
CHECK_SIZE(struct snp_report_resp, 0x20 + 0x4A0);
CHECK_OFFSET(struct snp_report_resp, report, 0x20);

/* ---- SNP Guest Request NAE (GHCB spec 56421 4.1.8, exit 0x8000_0011) ----
 * SW_EXITINFO1 = GPA of the request page, SW_EXITINFO2 = GPA of the
 * response page, both shared. On return SW_EXITINFO2 holds the hypervisor
 * error in [63:32] and the firmware status (SEV_RET_*) in [31:0]; 0 is
 * success (Linux SNP_GUEST_ERR / SNP_GUEST_VMM_ERR_*). */
#define SNP_GUEST_ERR_FW	      GENMASK(31, 0)
#define SNP_GUEST_ERR_VMM	      GENMASK(63, 32)
#define SNP_GUEST_VMM_ERR_INVALID_LEN 1
#define SNP_GUEST_VMM_ERR_BUSY	      2
#define SNP_GUEST_VMM_ERR_GENERIC     0xFFFFFFFFU

/* ---- sealing and opening messages (the guest's side) -------------------- */

/* Builds msg: header for message type/version 1 under VMPCK index vmpck with
 * sequence number seqno, payload len bytes encrypted with key (AES-256-GCM,
 * IV from seqno, AAD = header[0x30, 0x60)). 0, or -1 when len does not fit. */
int snp_msg_seal(struct snp_guest_msg *msg, const u8 key[SNP_VMPCK_SIZE], u8 vmpck, u64 seqno,
		 u8 type, const void *payload, size_t len);
/* Checks msg is a well-formed AES-256-GCM message of the given type under
 * vmpck with sequence number seqno whose payload is exactly len bytes and
 * authenticates under key; then decrypts it into out. 0, or -1 (out untouched). */
int snp_msg_open(const struct snp_guest_msg *msg, const u8 key[SNP_VMPCK_SIZE], u8 vmpck, u64 seqno,
		 u8 type, void *out, size_t len);

#endif
