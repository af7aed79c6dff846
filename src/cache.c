/* cache: placeholder until the cache module lands. */
#include "cache.h"

#include <stdlib.h>

int cache_open(struct cache **out, const char *dir, struct error *err)
{
	*out = NULL;
	return error_set(err, "cache '%s': not available in this build yet", dir);
}

void cache_close(struct cache *c)
{
	(void)c;
}

const char *cache_root(const struct cache *c)
{
	(void)c;
	return "";
}
