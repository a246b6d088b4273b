/* Basic integer types and the distinct address types of snpvisor.
 *
 * Three address spaces must never be mixed (style.md, after Hafnium's addr.h):
 *   spa_t  system physical address (what the RMP and the IOMMU leaves hold)
 *   gpa_t  guest physical address (what NPT and IOMMU tables translate)
 *   hva_t  host virtual address (what hypervisor C code dereferences)
 * Each is a one-member struct so that the compiler rejects a mix-up; the
 * constructors and accessors below are the only way in and out. */
#ifndef HV_TYPES_H
#define HV_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t s8;
typedef int16_t s16;
typedef int32_t s32;
typedef int64_t s64;

typedef struct { u64 v; } spa_t;
typedef struct { u64 v; } gpa_t;
typedef struct { u64 v; } hva_t;

static inline spa_t spa(u64 v) { return (spa_t){v}; }
static inline gpa_t gpa(u64 v) { return (gpa_t){v}; }
static inline hva_t hva(u64 v) { return (hva_t){v}; }
static inline u64 spa_val(spa_t a) { return a.v; }
static inline u64 gpa_val(gpa_t a) { return a.v; }
static inline u64 hva_val(hva_t a) { return a.v; }
static inline spa_t spa_add(spa_t a, u64 off) { return (spa_t){a.v + off}; }
static inline gpa_t gpa_add(gpa_t a, u64 off) { return (gpa_t){a.v + off}; }
static inline hva_t hva_add(hva_t a, u64 off) { return (hva_t){a.v + off}; }
static inline void *hva_ptr(hva_t a) { return (void *)(uintptr_t)a.v; }
static inline hva_t hva_from_ptr(const void *p) { return (hva_t){(u64)(uintptr_t)p}; }

#define PAGE_SHIFT 12
#define PAGE_SIZE (1ULL << PAGE_SHIFT)
#define PAGE_MASK (~(PAGE_SIZE - 1))
#define HUGE_SHIFT 21 /* 2 MiB */
#define HUGE_SIZE (1ULL << HUGE_SHIFT)
#define GIGA_SHIFT 30 /* 1 GiB */
#define GIGA_SIZE (1ULL << GIGA_SHIFT)

#define KiB(x) ((u64)(x) << 10)
#define MiB(x) ((u64)(x) << 20)
#define GiB(x) ((u64)(x) << 30)

#define ALIGN_DOWN(x, a) ((x) & ~((u64)(a) - 1))
#define ALIGN_UP(x, a) (((x) + ((u64)(a) - 1)) & ~((u64)(a) - 1))
#define IS_ALIGNED(x, a) (((x) & ((u64)(a) - 1)) == 0)
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

/* newlib's sys/cdefs.h defines some of these with the same meaning. */
#ifndef __packed
#define __packed __attribute__((packed))
#endif
#ifndef __aligned
#define __aligned(x) __attribute__((aligned(x)))
#endif
#ifndef __noreturn
#define __noreturn __attribute__((noreturn))
#endif
#ifndef __printf
#define __printf(a, b) __attribute__((format(printf, a, b)))
#endif
#ifndef __unused
#define __unused __attribute__((unused))
#endif

/* Build-time layout checks for hardware structures. */
#define CHECK_SIZE(type, size) _Static_assert(sizeof(type) == (size), #type " size")
#define CHECK_OFFSET(type, field, off) \
	_Static_assert(offsetof(type, field) == (off), #type "." #field " offset")

#endif
