/* remote: placeholder until the remote cache lands: no remote is ever used. */
#include "remote.h"

int remote_open(struct remote **out, const struct config *cfg, struct progress *p, struct error *err)
{
	(void)p;
	*out = NULL;
	if (cfg->remote_url)
		return error_usage(err, "remote caches are not available in this build yet");
	return 0;
}

int remote_fetch(struct remote *r, struct cache *c, const char *key, const char *node_id)
{
	(void)r; (void)c; (void)key; (void)node_id;
	return 0;
}

void remote_upload(struct remote *r, struct cache *c, const char *key, const char *node_id)
{
	(void)r; (void)c; (void)key; (void)node_id;
}

void remote_close(struct remote *r)
{
	(void)r;
}
