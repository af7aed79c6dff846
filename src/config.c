/* config: placeholder until the machine config lands: environment only. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

int config_load(struct config *cfg, const char *path, struct error *err)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->timeout = 30;
	if (path)
		return error_usage(err, "config files are not available in this build yet");
	const char *url = getenv("MVBUILD_REMOTE");
	if (url && *url)
		cfg->remote_url = xstrdup(url);
	return 0;
}

void config_release(struct config *cfg)
{
	free(cfg->remote_url);
	memset(cfg, 0, sizeof(*cfg));
}
