/* registry.c — the built-in plasticity rules. Adding a rule is one file and one line here. */
#include <string.h>

#include "plast/rule.h"

extern const plast_rule plast_rule_flp, plast_rule_hebb, plast_rule_sgd, plast_rule_fa,
    plast_rule_dfa, plast_rule_terms, plast_rule_ncm;
extern const plast_rule plast_rule_clapp, plast_rule_hinge, plast_rule_hinge_bp, plast_rule_hinge_rf,
    plast_rule_hinge_dtp;

static const plast_rule *const all[] = {&plast_rule_flp, &plast_rule_hebb, &plast_rule_dfa,
                                        &plast_rule_fa, &plast_rule_terms, &plast_rule_ncm,
                                        &plast_rule_clapp,
                                        &plast_rule_hinge, &plast_rule_hinge_rf, &plast_rule_hinge_bp,
                                        &plast_rule_hinge_dtp,
                                        &plast_rule_sgd};

const plast_rule *const *plast_rule_all(int *n)
{
    *n = (int)(sizeof all / sizeof all[0]);
    return all;
}

const plast_rule *plast_rule_find(const char *name)
{
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (strcmp(all[i]->name, name) == 0) return all[i];
    return NULL;
}
