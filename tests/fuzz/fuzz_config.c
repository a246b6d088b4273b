/* libFuzzer target for hv/base/config.c: any bytes must parse or fail with an
 * error on an existing line; a successful parse must respect every limit. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv/base/config.h"

static int count_lines(const u8 *t, size_t n)
{
	int lines = 0;

	for (size_t i = 0; i < n; i++)
		lines += t[i] == '\n';
	if (n && t[n - 1] != '\n')
		lines++;
	return lines;
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size);

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	static struct hv_config cfg;
	struct config_error err;
	int r;

	r = config_parse((const char *)data, size, &cfg, &err);
	if (r) {
		if (r != -EINVAL || err.line < 1 || err.line > count_lines(data, size) ||
		    !memchr(err.msg, '\0', sizeof(err.msg)) || !err.msg[0])
			abort();
		return 0;
	}
	if (memchr(data, '\0', size) || cfg.n_guests > CFG_MAX_GUESTS)
		abort();
	for (u32 i = 0; i < cfg.n_guests; i++) {
		const struct cfg_guest *g = &cfg.guests[i];

		if (g->n_devices > CFG_MAX_DEVICES || g->memory < CFG_MEM_MIN ||
		    g->memory > CFG_MEM_MAX || gpa_val(g->load) >= g->memory ||
		    gpa_val(g->entry) >= g->memory || !g->name[0] || !g->image[0] == !g->kernel[0] ||
		    strlen(g->args) > CFG_ARGS_MAX)
			abort();
		for (u32 j = 0; j < i; j++)
			if (!strcmp(cfg.guests[j].name, g->name))
				abort();
	}
	return 0;
}
