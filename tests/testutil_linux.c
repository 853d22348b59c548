/* Helpers of the integration tests, which run on Linux only: network
 * namespaces, descriptor and link counting, shell commands, clocks, memory
 * use, test packets. */
#include "testutil.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

void tun_test_enter_netns(void)
{
    if (access("/dev/net/tun", R_OK | W_OK) != 0) {
        struct stat st;
        if (stat("/dev/net/tun", &st) != 0)
            printf("skipped: /dev/net/tun is missing (modprobe tun)\n");
        else
            printf("skipped: /dev/net/tun (owner %u, group %u, mode %04o) "
                   "is not readable and writable by uid %u: run as root\n",
                   (unsigned)st.st_uid, (unsigned)st.st_gid,
                   (unsigned)(st.st_mode & 07777), (unsigned)geteuid());
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

int64_t tun_test_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int tun_test_count_links(void)
{
    struct if_nameindex *list = if_nameindex();
    if (!list)
        return -1;
    int count = 0;
    while (list[count].if_index != 0)
        count++;
    if_freenameindex(list);
    return count;
}

long tun_test_rss_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    char line[256];
    long kb = -1;
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
            break;
    fclose(f);
    return kb;
}

size_t tun_test_udp4(uint8_t *buf, const char *src, uint16_t sport,
                     const char *dst, uint16_t dport, const void *payload,
                     size_t len)
{
    size_t total = 28 + len;
    memset(buf, 0, 28);
    buf[0] = 0x45;
    buf[2] = (uint8_t)(total >> 8);
    buf[3] = (uint8_t)total;
    buf[8] = 64;
    buf[9] = 17;
    inet_pton(AF_INET, src, buf + 12);
    inet_pton(AF_INET, dst, buf + 16);
    uint32_t sum = 0;
    for (int i = 0; i < 20; i += 2)
        sum += (uint32_t)buf[i] << 8 | buf[i + 1];
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    buf[10] = (uint8_t)(~sum >> 8);
    buf[11] = (uint8_t)~sum;
    buf[20] = (uint8_t)(sport >> 8);
    buf[21] = (uint8_t)sport;
    buf[22] = (uint8_t)(dport >> 8);
    buf[23] = (uint8_t)dport;
    buf[24] = (uint8_t)((8 + len) >> 8);
    buf[25] = (uint8_t)(8 + len);
    if (len)
        memcpy(buf + 28, payload, len);
    return total;
}

tun_device *tun_test_open_tun(const char *name, const char *ipv4,
                              bool multi_queue)
{
    tun_config *cfg;
    tun_device *dev;
    assert_tun_ok(tun_config_new(&cfg));
    assert_tun_ok(tun_config_set_name(cfg, name));
    assert_tun_ok(tun_config_add_ipv4(cfg, ipv4, 24, NULL));
    assert_tun_ok(tun_config_set_multi_queue(cfg, multi_queue));
    assert_tun_ok(tun_open(cfg, &dev));
    tun_config_free(cfg);
    return dev;
}
