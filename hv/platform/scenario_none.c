/* The test table of the hardware image hv.efi (hv/platform/scenario.h): empty.
 * Only "guests" runs here; the test scenarios are in hv-test.efi. */
#include "hv/platform/scenario.h"

#include <stddef.h>

const bool hv_test_image = false;

const struct scenario *test_scenario_find(const char *name)
{
	(void)name;
	return NULL;
}

void test_scenario_list(void)
{
}
