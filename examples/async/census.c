#include "census.h"

#include <dirent.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>

/* Entries of a /proc directory, "." and ".." and its own descriptor left
 * out. */
static int count_entries(const char *path, bool own_fd)
{
    DIR *dir = opendir(path);
    if (!dir)
        return -1;
    int n = 0;
    for (struct dirent *e; (e = readdir(dir)) != NULL;)
        if (e->d_name[0] != '.')
            n++;
    closedir(dir);
    return own_fd ? n - 1 : n;
}

void census_take(census *c)
{
    c->fds = count_entries("/proc/self/fd", true);
    c->threads = count_entries("/proc/self/task", false);
}

int census_report(const census *before, int stop_signal)
{
    census after;
    census_take(&after);
    char how[32];
    if (stop_signal == SIGINT || stop_signal == SIGTERM)
        snprintf(how, sizeof(how), "stopped by %s",
                 stop_signal == SIGINT ? "SIGINT" : "SIGTERM");
    else
        snprintf(how, sizeof(how), "stopped");
    if (after.fds == before->fds && after.threads == before->threads) {
        printf("shutdown: %s; %d descriptors and %d thread%s open, as before "
               "start\n", how, after.fds, after.threads,
               after.threads == 1 ? "" : "s");
        return 0;
    }
    printf("shutdown: %s; LEFT OPEN: %d descriptors (%d before), %d threads "
           "(%d before)\n", how, after.fds, before->fds, after.threads,
           before->threads);
    return 1;
}
