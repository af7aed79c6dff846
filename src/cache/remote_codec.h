/*
 * remote_codec: how a blob travels to and from a remote cache: its data
 * extents only (holes are not inflated), compressed with zstd (gzip when
 * libarchive lacks zstd).  Format at the top of remote_codec.c.
 */
#ifndef MVBUILD_REMOTE_CODEC_H
#define MVBUILD_REMOTE_CODEC_H

#include <stdint.h>

#include "base/error.h"
#include "base/hash.h"

/*
 * Encode the file src into a new file dst; fills the sha256 hex and size of
 * the encoded bytes (what is stored at URL/cas/<digest>).  -1 with err.
 */
int remote_codec_encode(const char *src, const char *dst, char digest[SHA256_HEX], uint64_t *size,
		  struct error *err);
/*
 * Decode the encoded file src into a new sparse file dst; fills the sha256
 * hex and apparent size of the decoded content.  -1 with err on anything
 * malformed.
 */
int remote_codec_decode(const char *src, const char *dst, char digest[SHA256_HEX], uint64_t *size,
		  struct error *err);

#endif
