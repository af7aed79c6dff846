/*
 * oci_ref: the one grammar of container image references,
 * HOST[:PORT]/REPO[:TAG][@sha256:HEX], shared by the recipe checks (an
 * `oci:` source, a `registries:` key of the machine config) and the
 * registry client (so a name it puts into a URL was checked by the same
 * rules), as url.c is for URLs.  Stricter than the distribution spec where
 * that costs nothing: the registry is always named (no docker.io default),
 * and the one digest algorithm is sha256.
 */
#ifndef MVBUILD_OCI_REF_H
#define MVBUILD_OCI_REF_H

#include <stdbool.h>
#include <stddef.h>

#define OCI_REF_SHA256 "sha256:"

/* HOST or HOST:PORT: letters, digits, '.', '-', then an optional port 1-65535 */
bool oci_ref_host_valid(const char *s, size_t len);
/* components of [a-z0-9._-] that begin and end with a letter or digit, joined by '/' (<= 255 bytes) */
bool oci_ref_repo_valid(const char *s, size_t len);
/* a tag: [A-Za-z0-9_][A-Za-z0-9._-]{0,127} */
bool oci_ref_tag_valid(const char *s, size_t len);
/* sha256: and 64 lowercase hex digits */
bool oci_ref_digest_valid(const char *s, size_t len);

/* a reference taken apart; tag and digest are NULL when absent */
struct oci_ref {
	char *host, *repo, *tag, *digest;
};

/*
 * Take text apart into ref (0), or return -1 with *why, a fixed phrase
 * saying which part is wrong ("the registry", "the repository", "the tag",
 * "the digest"), and ref untouched.
 */
int oci_ref_parse(const char *text, struct oci_ref *ref, const char **why);
void oci_ref_release(struct oci_ref *ref);

#endif
