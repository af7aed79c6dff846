/*
 * kernel_verify: requested values against the final .config, with the
 * reason for each mismatch found in the kernel's Kconfig files (see
 * kernel_verify.h).  The Kconfig files are read only when something did
 * not take, so a correct config costs a comparison and nothing more.
 */
#include "kernel/kernel_verify.h"

#include <stdlib.h>
#include <string.h>

#include "kernel/kernel_kconfig.h"

static bool is_off(const char *v)
{
	return strcmp(v, "n") == 0;
}

/* append why requested value `want` of sym came out as `got` */
static void add_reason(struct buf *out, const struct kconfig_symbol *sym, const char *want,
		       const char *got, const struct kconf *final)
{
	if (!sym->found) {
		buf_adds(out, "the symbol does not exist in this kernel");
		return;
	}
	if (strcmp(want, "m") == 0 && strcmp(kernel_config_value(final, "CONFIG_MODULES"), "y") != 0) {
		buf_adds(out, "modules are disabled (CONFIG_MODULES is not set)");
	} else if (is_off(want) && sym->n_selected_by) {
		buf_adds(out, "it is selected by ");
		for (size_t i = 0; i < sym->n_selected_by; i++)
			buf_addf(out, "%sCONFIG_%s", i ? ", " : "", sym->selected_by[i]);
	} else if (!is_off(want) && is_off(got) && sym->depends) {
		buf_addf(out, "its dependencies are not met: depends on %s", sym->depends);
	} else if (is_off(want)) {
		buf_adds(out, "it cannot be disabled (no prompt, or forced on by its defaults)");
	} else {
		buf_adds(out, "Kconfig did not accept the value (no prompt, wrong type or out of range)");
	}
	buf_addf(out, " (%s)", sym->defined_at);
}

int kernel_verify(const struct kconf *requested, const struct kconf *final, const char *srcdir,
		  const char *srcarch, struct buf *report, struct error *err)
{
	struct kconfig_symbol *syms = NULL;
	const struct kconf_entry **bad = NULL;
	size_t n = 0;
	int ret = -1;
	for (size_t i = 0; i < requested->n; i++) {
		const struct kconf_entry *e = &requested->entries[i];
		if (strcmp(e->value, kernel_config_value(final, e->symbol)) == 0)
			continue;
		syms = xrealloc(syms, (n + 1) * sizeof(*syms));
		bad = xrealloc(bad, (n + 1) * sizeof(*bad));
		memset(&syms[n], 0, sizeof(*syms));
		syms[n].name = xstrdup(e->symbol + strlen("CONFIG_"));
		bad[n++] = e;
	}
	if (n && kernel_kconfig_lookup(srcdir, srcarch, syms, n, err) < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		const char *got = kernel_config_value(final, bad[i]->symbol);
		buf_addf(report, "%s: %s: requested %s, got %s: ", bad[i]->where ? bad[i]->where : "config",
			 bad[i]->symbol, bad[i]->value, got);
		add_reason(report, &syms[i], bad[i]->value, got, final);
		buf_addc(report, '\n');
	}
	ret = (int)n;
out:
	for (size_t i = 0; i < n; i++)
		kernel_kconfig_symbol_release(&syms[i]);
	free(syms);
	free(bad);
	return ret;
}
