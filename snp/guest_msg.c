/* SEV-SNP guest messages: sealing and opening (see guest_msg.h; 56860
 * "Message Header"). Pure; shared by the guest library and the tests. */
#include "snp/guest_msg.h"

#include <string.h>

#include "snp/aes_gcm.h"

_Static_assert(SNP_MSG_TAG_SIZE == GCM_TAG_SIZE, "GCM tag in AUTHTAG");

int snp_msg_seal(struct snp_guest_msg *msg, const u8 key[SNP_VMPCK_SIZE], u8 vmpck, u64 seqno,
		 u8 type, const void *payload, size_t len)
{
	u8 iv[GCM_IV_SIZE];

	if (len > SNP_MSG_PAYLOAD_MAX)
		return -1;
	memset(&msg->hdr, 0, sizeof(msg->hdr));
	msg->hdr.msg_seqno = seqno;
	msg->hdr.algo = SNP_AEAD_AES_256_GCM;
	msg->hdr.hdr_version = SNP_MSG_HDR_VERSION;
	msg->hdr.hdr_sz = sizeof(msg->hdr);
	msg->hdr.msg_type = type;
	msg->hdr.msg_version = SNP_MSG_VERSION;
	msg->hdr.msg_sz = (u16)len;
	msg->hdr.msg_vmpck = vmpck;
	snp_msg_iv(seqno, iv);
	aes256_gcm_encrypt(key, iv, (const u8 *)&msg->hdr + SNP_MSG_AAD_OFFSET, SNP_MSG_AAD_SIZE,
			   payload, len, msg->payload, msg->hdr.authtag);
	return 0;
}

int snp_msg_open(const struct snp_guest_msg *msg, const u8 key[SNP_VMPCK_SIZE], u8 vmpck, u64 seqno,
		 u8 type, void *out, size_t len)
{
	const struct snp_guest_msg_hdr *h = &msg->hdr;
	u8 iv[GCM_IV_SIZE];

	if (h->algo != SNP_AEAD_AES_256_GCM || h->hdr_version != SNP_MSG_HDR_VERSION ||
	    h->hdr_sz != sizeof(*h) || h->msg_type != type || h->msg_version != SNP_MSG_VERSION ||
	    h->msg_vmpck != vmpck || h->msg_seqno != seqno || h->msg_sz != len ||
	    len > SNP_MSG_PAYLOAD_MAX)
		return -1;
	snp_msg_iv(seqno, iv);
	return aes256_gcm_decrypt(key, iv, (const u8 *)h + SNP_MSG_AAD_OFFSET, SNP_MSG_AAD_SIZE,
				  msg->payload, len, out, h->authtag);
}
