/* registry.c — the built-in registry (see include/plast/registry.h). */
#include "plast/registry.h"

#include "plast/campaign.h"

plast_registry plast_registry_builtin(int with_campaign)
{
    plast_registry r;
    r.rules = plast_rule_all(&r.n_rules);
    r.tasks = plast_task_all(&r.n_tasks);
    r.campaign = with_campaign ? &plast_campaign_opts_table : NULL;
    return r;
}
