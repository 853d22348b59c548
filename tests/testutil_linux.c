/* Helpers of the integration tests, which run on Linux only: network
 * namespaces, descriptor counting, shell commands. */
#include "testutil.h"

#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

void tun_test_enter_netns(void)
{
    if (access("/dev/net/tun", R_OK | W_OK) != 0) {
        printf("skipped: /dev/net/tun is missing (modprobe tun)\n");
        exit(TUN_TEST_SKIP);
    }
    if (unshare(CLONE_NEWNET) != 0) {
        printf("skipped: cannot create a network namespace (%s): run as root\n",
               strerror(errno));
        exit(TUN_TEST_SKIP);
    }
    if (tun_test_sh(NULL, 0, "ip link set lo up") != 0) {
        printf("skipped: iproute2 'ip' is needed\n");
        exit(TUN_TEST_SKIP);
    }
}

int tun_test_count_fds(void)
{
    DIR *dir = opendir("/proc/self/fd");
    int count = 0;
    if (!dir)
        return -1;
    for (struct dirent *e; (e = readdir(dir)) != NULL;)
        if (e->d_name[0] != '.')
            count++;
    closedir(dir);
    return count - 1; /* the directory's own descriptor */
}

int tun_test_sh(char *out, size_t out_size, const char *fmt, ...)
{
    char cmd[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(cmd))
        return -1;
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    size_t used = 0;
    char chunk[512];
    size_t got;
    while ((got = fread(chunk, 1, sizeof(chunk), p)) > 0) {
        if (out && used + 1 < out_size) {
            size_t take = got < out_size - 1 - used ? got : out_size - 1 - used;
            memcpy(out + used, chunk, take);
            used += take;
        }
    }
    if (out && out_size)
        out[used] = '\0';
    int status = pclose(p);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}
