/* registry.h — the built-in rules, tasks and campaign settings, as the program hands them
 * to the config reader (plast_registry, config.h). A program or test with rules of its own
 * builds its own plast_registry instead. */
#ifndef PLAST_REGISTRY_H
#define PLAST_REGISTRY_H

#include "plast/config.h"

/* Every built-in rule and task; with_campaign allows the "campaign" section. */
plast_registry plast_registry_builtin(int with_campaign);

#endif
