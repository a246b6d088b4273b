/* newlib's system-call layer (newlib on x86_64-elf calls these without a
 * leading underscore, plus _exit; qemu-facts.md). write goes to the console,
 * sbrk to the hypervisor heap that hv_main hands over with heap_init(). */
#include <errno.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "hv/arch/x86/console.h"
#include "hv/arch/x86/heap.h"
#include "hv/base/log.h"
#include "hv/arch/x86/platform.h"

int write(int fd, const void *buf, size_t n);
int read(int fd, void *buf, size_t n);
void *sbrk(ptrdiff_t incr);
int close(int fd);
int fstat(int fd, struct stat *st);
int isatty(int fd);
off_t lseek(int fd, off_t off, int whence);
int kill(int pid, int sig);
int getpid(void);
void _exit(int status);

static u8 *heap_lo, *heap_cur, *heap_hi;

void heap_init(void *base, size_t size)
{
	heap_lo = heap_cur = base;
	heap_hi = heap_lo + size;
}

size_t heap_used(void) { return (size_t)(heap_cur - heap_lo); }

int write(int fd, const void *buf, size_t n)
{
	if (fd != 1 && fd != 2) {
		errno = EBADF;
		return -1;
	}
	console_write(buf, n);
	return (int)n;
}

int read(int fd, void *buf, size_t n)
{
	errno = EBADF;
	return -1;
}

void *sbrk(ptrdiff_t incr)
{
	u8 *old = heap_cur;

	if (!heap_lo || incr > heap_hi - heap_cur || incr < heap_lo - heap_cur) {
		errno = ENOMEM;
		return (void *)-1;
	}
	heap_cur += incr;
	return old;
}

int close(int fd) { return 0; }

int fstat(int fd, struct stat *st)
{
	st->st_mode = S_IFCHR;
	return 0;
}

int isatty(int fd) { return fd <= 2; }
off_t lseek(int fd, off_t off, int whence) { return 0; }
int getpid(void) { return 1; }

int kill(int pid, int sig)
{
	errno = EINVAL;
	return -1;
}

void _exit(int status) { panic("newlib called _exit(%d) (abort or assert)", status); }
