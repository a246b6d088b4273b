/* hv.cfg: the hypervisor's configuration file (format in docs/config.md).
 *
 * The UEFI loader reads hv.cfg from the ESP and hands its bytes to the
 * hypervisor; config_parse() turns them into a struct hv_config with every
 * default filled in. Pure code: no heap (fixed arrays with the limits below),
 * no floating point, no libc beyond string.h. Bad input is an error with a line
 * number and a reason, never a crash. */
#ifndef HV_CONFIG_H
#define HV_CONFIG_H

#include "hv/base/log.h"
#include "hv/base/types.h"

#define CFG_MAX_GUESTS	 8
#define CFG_MAX_DEVICES	 4	   /* per guest */
#define CFG_LINE_MAX	 256	   /* characters per line, without the line end */
#define CFG_NAME_MAX	 15	   /* guest name [a-z0-9_-]{1,15} */
#define CFG_SCENARIO_MAX 31	   /* scenario word [a-z0-9_-]{1,31} */
#define CFG_IMAGE_MAX	 64	   /* image file name on the ESP */
#define CFG_ARGS_MAX	 128	   /* guest argument string */
#define CFG_CMDLINE_MAX	 240	   /* Linux command line from hv.cfg (the line limit is 256) */
#define CFG_MEM_MIN	 HUGE_SIZE /* guest memory: multiple of 2M in [2M, 64G] */
#define CFG_MEM_MAX	 GiB(64)

/* [hv] xcheck: when the cross-checker runs. */
enum cfg_xcheck {
	CFG_XCHECK_NEVER,
	CFG_XCHECK_END,	   /* once, when the scenario ends */
	CFG_XCHECK_ALWAYS, /* after every gmem operation */
	CFG_XCHECK_COUNT
};

/* [hv] iommu_mode: architecture.md "Two ways to feed the IOMMU". */
enum cfg_iommu_mode {
	CFG_IOMMU_DUPLICATED, /* separate AMD IOMMU v1 tables built from gmem */
	CFG_IOMMU_SHARED,     /* one table carrying both NPT and IOMMU bits */
	CFG_IOMMU_COUNT
};

/* [hv] snp: which RMP backend. */
enum cfg_snp_mode {
	CFG_SNP_OFF,	  /* no RMP at all: guests run as plain SVM guests */
	CFG_SNP_EMULATED, /* RMP model backend, PVALIDATE/VMGEXIT emulation */
	CFG_SNP_HARDWARE, /* real SNP: refuse to start without it */
	CFG_SNP_AUTO,	  /* hardware if the CPU and firmware have it, else emulated */
	CFG_SNP_COUNT
};

/* [guest] expect: the outcome the test runner and the hypervisor expect. */
/* snp_test = ... of an SNP Linux guest (docs/config.md): none; a CPUID page
 * with a value the platform forbids; no CC blob in setup_data; SEV_STATUS
 * with a feature bit Linux does not implement (ReflectVC). */
enum cfg_snp_test {
	CFG_SNP_TEST_NONE,
	CFG_SNP_TEST_CPUID_FORBIDDEN,
	CFG_SNP_TEST_NO_CC_BLOB,
	CFG_SNP_TEST_SEV_STATUS_UNSUPPORTED,
};

enum cfg_expect {
	CFG_EXPECT_PASS,
	CFG_EXPECT_FAIL,
	CFG_EXPECT_TRIPLE_FAULT,
	CFG_EXPECT_NPF,
	CFG_EXPECT_KILLED,
	CFG_EXPECT_TIMEOUT,
	CFG_EXPECT_COUNT
};

/* One `device = bb:dd.f trusted|untrusted` line. */
struct cfg_device {
	u16 bdf; /* bus << 8 | dev << 3 | fn, as in the IOMMU device table */
	bool trusted;
};

static inline u8 cfg_bdf_bus(u16 bdf)
{
	return bdf >> 8;
}
static inline u8 cfg_bdf_dev(u16 bdf)
{
	return (bdf >> 3) & 0x1f;
}
static inline u8 cfg_bdf_fn(u16 bdf)
{
	return bdf & 7;
}

struct cfg_guest {
	char name[CFG_NAME_MAX + 1];
	char image[CFG_IMAGE_MAX + 1];
	gpa_t load;    /* default 0x100000, page aligned, < memory */
	gpa_t entry;   /* default = load, < memory */
	u64 memory;    /* bytes */
	u64 page_size; /* PAGE_SIZE or HUGE_SIZE: the largest page gmem may use */
	bool snp;      /* default on, off when [hv] snp = off */
	bool test_abi; /* default off: the test-only hypercalls (HC_DMA_PHASE, HC_BENCH_MARK) */
	u32 n_devices;
	struct cfg_device devices[CFG_MAX_DEVICES];
	char args[CFG_ARGS_MAX + 1]; /* "" when absent */
	/* A Linux guest (docs/linux.md): kernel names a bzImage on the ESP
	 * instead of image; initrd and cmdline only go with it. "" when absent. */
	char kernel[CFG_IMAGE_MAX + 1];
	char initrd[CFG_IMAGE_MAX + 1];
	char cmdline[CFG_CMDLINE_MAX + 1];
	enum cfg_expect expect;
	enum cfg_snp_test snp_test; /* SNP Linux guests: a deliberate bad input (tests) */
	int line; /* line of the [guest NAME] header, for later messages */
};

struct hv_config {
	char scenario[CFG_SCENARIO_MAX + 1]; /* default "demo" */
	enum log_level log;		     /* default LOG_INFO */
	enum cfg_xcheck xcheck;		     /* default always */
	enum cfg_iommu_mode iommu_mode;	     /* default duplicated */
	enum cfg_snp_mode snp;		     /* default auto */
	u64 timeslice_us;		     /* default 10000 */
	u64 max_exits;			     /* default 1000000; 0 = no limit */
	bool dump;	   /* default off: stop for a memory dump (hv/vm/dump.h) */
	bool smp;	   /* default on: start the APs (hv/arch/x86/smp.h) */
	u64 time_limit_ms; /* default 10000: a guest's own run time before "timeout" */
	u32 n_guests;
	struct cfg_guest guests[CFG_MAX_GUESTS]; /* in file order */
};

struct config_error {
	int line;      /* 1-based line of the offending text */
	char msg[160]; /* reason and what to do, without "file:line: " */
};

/* Fill in every default; no guests. */
void config_defaults(struct hv_config *out);

/* Parse len bytes of hv.cfg (need not be NUL-terminated; a NUL byte is an
 * error). Returns 0 with *out complete, or -EINVAL with the first error in
 * *err (line and message); *out must then not be used. config_parse itself
 * prints nothing when err is non-NULL (fuzzers and tests call it a lot): the
 * caller reports it with config_report(). With err == NULL the error is
 * logged with pr_err as "hv.cfg:LINE: MSG". */
int config_parse(const char *text, size_t len, struct hv_config *out, struct config_error *err);

/* pr_err "FILE:LINE: MSG" (file NULL means "hv.cfg"). */
void config_report(const struct config_error *err, const char *file);

/* Log the effective configuration with pr_info (hypervisor boot banner). */
void config_print(const struct hv_config *cfg);

/* The guest called name, or NULL. */
const struct cfg_guest *config_find_guest(const struct hv_config *cfg, const char *name);

/* enum <-> string: *_name() returns the word used in hv.cfg ("?" for a value
 * out of range); *_from_name() returns 0 and sets *out, or -EINVAL. */
const char *cfg_log_name(enum log_level v);
const char *cfg_xcheck_name(enum cfg_xcheck v);
const char *cfg_iommu_mode_name(enum cfg_iommu_mode v);
const char *cfg_snp_mode_name(enum cfg_snp_mode v);
const char *cfg_expect_name(enum cfg_expect v);
int cfg_log_from_name(const char *s, enum log_level *out);
int cfg_xcheck_from_name(const char *s, enum cfg_xcheck *out);
int cfg_iommu_mode_from_name(const char *s, enum cfg_iommu_mode *out);
int cfg_snp_mode_from_name(const char *s, enum cfg_snp_mode *out);
int cfg_expect_from_name(const char *s, enum cfg_expect *out);

/* "16M", "4K", "64G" or plain bytes: the shortest exact form. buf >= 24 bytes. */
const char *cfg_format_size(u64 bytes, char *buf, size_t size);

#endif
