/*
 * libFuzzer harness for the record encoding and action entries.  Whatever
 * the bytes: record_decode() either refuses them or gives a record that
 * encodes back to exactly those bytes (so the encoding is a bijection on
 * what it accepts, and no two records share a key); record_split_words()
 * either refuses a value or gives words that join back to it; and
 * cache_parse_action() returns without crashing or leaking.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cache/cache.h"
#include "cache/record.h"

static void check_record(const char *text, size_t len)
{
	struct record rec = RECORD_INIT;
	struct error err = ERROR_INIT;
	if (record_decode(&rec, text, len, &err) == 0) {
		struct buf again = BUF_INIT;
		record_encode(&rec, true, &again);
		if (again.len != len || memcmp(again.data, text, len) != 0)
			abort(); /* two texts for one record */
		buf_release(&again);
	} else if (!err.msg) {
		abort(); /* a refusal must say why */
	}
	error_release(&err);
	record_release(&rec);
}

static void check_words(const char *text, size_t len)
{
	char *value = strndup(text, len);
	char **words;
	size_t n;
	if (!value)
		abort();
	if (record_split_words(value, &words, &n) == 0) {
		struct record rec = RECORD_INIT;
		record_add_words(&rec, "w", NULL, (const char *const *)words, n);
		if (strcmp(record_get(&rec, "w"), value) != 0)
			abort(); /* two values for one list of words */
		record_release(&rec);
		for (size_t i = 0; i < n; i++)
			free(words[i]);
		free(words);
	}
	free(value);
}

static void check_action(const char *text, size_t len)
{
	struct record rec = RECORD_INIT;
	struct cache_output *outs = NULL;
	size_t n = 0;
	struct error err = ERROR_INIT;
	if (cache_parse_action(text, len, &rec, &outs, &n, &err) == 0) {
		struct buf again = BUF_INIT;
		cache_format_action(&rec, outs, n, &again);
		if (again.len != len || memcmp(again.data, text, len) != 0)
			abort(); /* an accepted entry is exactly what the writer writes */
		buf_release(&again);
	}
	error_release(&err);
	record_release(&rec);
	cache_outputs_free(outs, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* a header in front lets the fuzzer reach entries without guessing it */
	static const char magic[] = "mvbuild-record 2\n";
	char *text = malloc(sizeof(magic) - 1 + size + 1);
	if (!text)
		abort();
	memcpy(text, magic, sizeof(magic) - 1);
	memcpy(text + sizeof(magic) - 1, data, size);
	text[sizeof(magic) - 1 + size] = '\0';
	check_record((const char *)data, size);
	check_record(text, sizeof(magic) - 1 + size);
	check_words((const char *)data, size);
	check_action((const char *)data, size);
	free(text);
	return 0;
}
