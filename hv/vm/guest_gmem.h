/* Guest memory from gmem (hv/vm/guest_gmem.c). */
#ifndef HV_GUEST_GMEM_H
#define HV_GUEST_GMEM_H

#include "hv/base/types.h"

struct guest;
struct gmem;
struct snp_backend;

/* The gmem of a guest backed by guest_mem_gmem, or NULL. */
struct gmem *guest_gmem(struct guest *g);
/* SPA of an SNP guest's launched VMSA page (0 if none): the VMCB's vmsa_pa
 * when the guest runs on SNP hardware. */
spa_t guest_gmem_vmsa(struct guest *g);
/* Runs the cross-checker over every live guest at once (cross-guest rules
 * included) and reports "@@ CHECK xcheck.all_guests". 0 if clean. */
int guest_gmem_xcheck_all(const char *when);
/* The SNP backend (hv/svm/snp_guest.h) that sends page-state changes to gmem. */
extern const struct snp_backend snp_gmem_backend;

#endif
