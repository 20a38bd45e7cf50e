/*
 * nara's pre-flight check of the unpack directory, linked into the staticx bootloader that
 * starts bin/nara (scripts/build-bootloader.sh builds that bootloader from staticx's pinned
 * source and links this object in; staticx's own files are not changed).
 *
 * The bootloader unpacks the program into $TMPDIR (or /tmp) and executes it from there before
 * any Python runs. When that directory is missing, not a directory, read-only, not writable or
 * on a filesystem mounted noexec, the bootloader's own errors name the symptom only
 * ("Failed to create temporary directory in ...", "Failed to execv() ...: Permission
 * denied"). This constructor runs before the bootloader's main() and says, in one line, what
 * is wrong and how to fix it, then exits with status 2 (nara's "cannot start as configured").
 *
 * The checks and their wording are those of nara.launcher.check_tmpdir (tests compare the
 * two); only the system's text for an unusual error ("cannot be used (...)") may differ, as
 * musl's and glibc's strerror() do.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#define FIX_HINT \
    "set TMPDIR to a writable directory that allows executing files, e.g. TMPDIR=/var/tmp"
#define WHY "nara unpacks itself there to start"

/* What is wrong with dir, in a few words (written into buf), or NULL when it is usable.
 * Only what is sure to stop the bootloader is reported: when statvfs() itself fails (a seccomp
 * filter, an odd FUSE filesystem), the mount flags are not judged and the bootloader tries. */
static const char *tmpdir_problem(const char *dir, char *buf, size_t len)
{
    struct stat st;
    struct statvfs vfs;
    unsigned long flags = 0;

    if (stat(dir, &st) != 0) {
        if (errno == ENOENT)
            return "does not exist";
        if (errno == ENOTDIR)
            return "is not a directory";
        snprintf(buf, len, "cannot be used (%s)", strerror(errno));
        return buf;
    }
    if (!S_ISDIR(st.st_mode))
        return "is not a directory";
    if (statvfs(dir, &vfs) == 0)
        flags = vfs.f_flag;
    if (flags & ST_RDONLY)
        return "is on a read-only filesystem";
    /* The effective ids and capabilities, as mkdtemp() will use (access() would test the real
     * uid without capabilities, refusing e.g. a service given CAP_DAC_OVERRIDE). */
    if (faccessat(AT_FDCWD, dir, W_OK | X_OK, AT_EACCESS) != 0) {
        snprintf(buf, len, "is not writable by uid %u", (unsigned)geteuid());
        return buf;
    }
    if (flags & ST_NOEXEC)
        return "is on a filesystem mounted noexec";
    return NULL;
}

__attribute__((constructor)) static void nara_preflight(void)
{
    const char *tmpdir = getenv("TMPDIR");
    char buf[160];
    const char *problem;

    /* staticx runs its bootloader at build time to identify it: no unpacking, no check. */
    if (getenv("STATICX_BOOTLOADER_IDENTIFY"))
        return;
    if (tmpdir && !*tmpdir) {
        /* The bootloader would try to create "/staticx-XXXXXX". */
        fprintf(stderr, "nara: TMPDIR is set but empty: " WHY "; " FIX_HINT "\n");
        exit(2);
    }
    problem = tmpdir_problem(tmpdir ? tmpdir : "/tmp", buf, sizeof buf);
    if (!problem)
        return;
    if (tmpdir)
        fprintf(stderr, "nara: TMPDIR=%s %s: " WHY "; " FIX_HINT "\n", tmpdir, problem);
    else
        fprintf(stderr, "nara: /tmp (TMPDIR is not set) %s: " WHY "; " FIX_HINT "\n", problem);
    exit(2);
}
