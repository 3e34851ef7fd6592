/* sync-single: a single regular file as a sync's source.  from: names the
 * file; to: names the destination file, or, ending in '/', the directory
 * that gets it under its own name (as cp and rsync do).  A volume: with no
 * subdirectory is such a directory.  delete: deletes nothing (rsync
 * removes nothing for a file source: the destination's siblings are never
 * looked at), exclude: and direction: both are refused, naming the sync.
 * direction: out reads the to: file and writes the from: file. */
#ifndef CC_SYNC_SINGLE_H
#define CC_SYNC_SINGLE_H

struct cc_error;
struct sync_spec;

struct sync_single {
	char *src_dir, *src_name; /* the file read (symlinks in its path resolved); owned */
	char *dst_dir;		  /* host: a directory; volume: the subdirectory; service: a container path; owned */
	char *dst_name;		  /* the file's name in dst_dir; owned */
};

/* 1 with *out filled (release it) when spec's source is a regular file,
 * 0 when it is not (a directory sync), -1 with err at the sync's position
 * for what a single file cannot do; base: the manifest's directory. */
int sync_single_resolve(const struct sync_spec *spec, const char *base, struct sync_single *out, struct cc_error **err);
void sync_single_release(struct sync_single *s);

#endif
