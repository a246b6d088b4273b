/* The scenario registry: hv_main (hv/platform/main.c) runs the scenario named
 * by `scenario =` in hv.cfg.
 *
 * Two images are linked from the same objects (docs/ARCHITECTURE.md):
 *   hv.efi       the image for hardware: the production scenario "guests"
 *                only (hv/platform/scenario.c); hv/platform/scenario_none.c
 *                stands in for the test table and refuses every other name;
 *   hv-test.efi  the test image: "guests" and the test scenarios of
 *                hv/scenarios/scenario.c (make run, make test, make bench).
 * The selection is made at link time: each image holds one definition of
 * test_scenario_find, test_scenario_list and hv_test_image. */
#ifndef HV_PLATFORM_SCENARIO_H
#define HV_PLATFORM_SCENARIO_H

#include "hv/base/types.h"

/* A built-in scenario: runs, reports checks through hv/base/report.h. */
struct scenario {
	const char *name;
	const char *what;
	void (*run)(void);
};

/* hv/platform/scenario.c: "guests" (both images), else the image's test
 * table. NULL if this image has no scenario of that name. */
const struct scenario *scenario_find(const char *name);
/* Prints every scenario of this image, one line each. */
void scenario_list(void);

/* The test table: hv/scenarios/scenario.c in hv-test.efi; in hv.efi
 * hv/platform/scenario_none.c (finds nothing, lists nothing). */
const struct scenario *test_scenario_find(const char *name);
void test_scenario_list(void);
/* true in hv-test.efi, false in hv.efi. */
extern const bool hv_test_image;

#endif
