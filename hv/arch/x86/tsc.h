/* The TSC frequency, measured once (hv/arch/x86/tsc.c) and shared by every
 * user: SVM's preemption timer and limits, AP start-up delays, IOMMU and
 * edu time bounds. Hardware access only (port I/O and RDTSC).
 *
 * Method: PIT (8254) channel 2 in mode 0 counts down 10 ms worth of its
 * 1.193182 MHz input; the TSC ticks between loading the count and OUT2
 * going high (port 0x61 bit 5) divided by 10 give kHz. The measurement runs
 * on the first call only; the result (or the failure) is cached. */
#ifndef HV_ARCH_X86_TSC_H
#define HV_ARCH_X86_TSC_H

#include "hv/base/types.h"

/* TSC ticks per millisecond; 0 when the PIT never fired (the caller picks
 * its own fallback). Measured on the first call, cached after. */
u64 tsc_khz(void);

/* ticks -> nanoseconds at tsc_khz(); 0 without a calibration. */
u64 tsc_ticks_to_ns(u64 ticks);

#endif
