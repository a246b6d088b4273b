/* The production scenario and the lookup (hv/platform/scenario.h): in both
 * images. */
#include "hv/platform/scenario.h"

#include <string.h>

#include "hv/arch/x86/machine.h"
#include "hv/base/log.h"
#include "hv/platform/snp_host.h"
#include "hv/svm/guest.h"

/* The guests of hv.cfg, each with its expected outcome. */
static void run_guests(void)
{
	guests_run(&hv.cfg, hv.bi, &snp_host);
}

static const struct scenario guests_scenario = {
    "guests", "run the guests of hv.cfg; each must end as its expect says", run_guests};

const struct scenario *scenario_find(const char *name)
{
	if (!strcmp(name, guests_scenario.name))
		return &guests_scenario;
	return test_scenario_find(name);
}

void scenario_list(void)
{
	pr_info("  %-16s %s\n", guests_scenario.name, guests_scenario.what);
	test_scenario_list();
}
