/*
 * multi_address: several IPv4 and IPv6 addresses on one TUN device, given
 * when it is opened and changed while it runs.
 *
 * Opens a device with the -o addresses, adds the -a ones, removes the -r
 * ones, and prints the device's address list after each of the three steps
 * (it includes the IPv6 link-local address the kernel adds by itself).
 *
 * Run as root (or with CAP_NET_ADMIN):
 *   sudo ./multi_address            # a default set of addresses
 *   sudo ./multi_address -s         # pause after each list: compare with
 *                                   # `ip addr show` in another terminal
 *   sudo ./multi_address -o 10.9.0.1/24 -o fd09::1/64 \
 *        -a "10.9.1.1/32 peer 10.9.1.2" -a fd09:1::1/64 -r 10.9.0.1
 * Options: see `help` below (or run it with --help).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/example.h"

static const char help[] =
    "[-n NAME] [-o ADDR/PREFIX]... [-a ADDR/PREFIX]...\n"
    "          [-r ADDR]... [-s] [-t SECONDS]\n"
    "Opens a TUN device with the -o addresses, adds the -a ones, removes the\n"
    "-r ones, and lists the device's addresses after each step. Without -o,\n"
    "-a and -r it shows a set of its own.\n"
    "  -n, --name NAME        interface name or pattern (default: tun%d)\n"
    "  -o, --open A/P         address to give at open, repeatable\n"
    "  -a, --add A/P          address to add at run time, repeatable\n"
    "  -r, --remove ADDR      address to remove at run time, repeatable\n"
    "  -s, --step             wait for Enter after each list (Ctrl-C stops)\n"
    "  -t, --timeout S        keep the device S seconds after the last list\n"
    "                         (to look at it with other tools), then close it\n"
    "  -h, --help             this text\n"
    "An address is \"ADDR/PREFIX\" or \"ADDR/PREFIX peer PEER\".\n"
    "Exit status: 0 done, 1 a run-time failure, 2 a usage error.\n";

/* The addresses of one option, parsed, in the order given. */
struct address_list {
    const char *text[64];
    tun_address address[64];
    size_t count;
};

/* Parse one more address into l. Prints the error; returns 0 or -1. */
static int push(struct address_list *l, const char *text)
{
    if (l->count == sizeof(l->text) / sizeof(l->text[0])) {
        fprintf(stderr, "too many addresses for one option\n");
        return -1;
    }
    if (example_parse_address(text, &l->address[l->count]) != 0)
        return -1;
    l->text[l->count++] = text;
    return 0;
}

/* Print every address of the device, as `ip addr` lists them. */
static int print_addresses(tun_device *dev, const char *step)
{
    char name[TUN_NAME_MAX], text[TUN_ADDRSTRLEN];
    tun_address *list = NULL;
    size_t count = 0;
    int rc = tun_device_get_name(dev, name, sizeof(name));
    if (rc < 0)
        return example_fail("tun_device_get_name", rc);
    /* Ask for the count first, then fetch exactly that many; retry if an
     * address appeared in between. */
    while ((rc = tun_device_get_addresses(dev, list, count, &count)) ==
           TUN_ENOBUFS) {
        free(list);
        list = malloc(count * sizeof(*list));
        if (!list) {
            fprintf(stderr, "out of memory\n");
            return 1;
        }
    }
    if (rc < 0) {
        free(list);
        return example_fail("tun_device_get_addresses", rc);
    }
    printf("%s: %zu address%s %s\n", name, count, count == 1 ? "" : "es",
           step);
    for (size_t i = 0; i < count; i++) {
        tun_address_format(&list[i], text, sizeof(text));
        printf("    %s %s\n", list[i].family == TUN_INET4 ? "inet" : "inet6",
               text);
    }
    free(list);
    return 0;
}

/* With --step, wait for a line on stdin. Returns false to stop (Ctrl-C). */
static bool wait_for_enter(bool step)
{
    if (!step)
        return true;
    printf("press Enter to continue\n");
    int c;
    do
        c = getchar();
    while (c != '\n' && c != EOF);
    /* The handler was installed without SA_RESTART, so Ctrl-C ends the
     * read with EINTR; end of input just continues. */
    return example_stop_signal() == 0;
}

int main(int argc, char **argv)
{
    static const struct option options[] = {
        {"name", required_argument, NULL, 'n'},
        {"open", required_argument, NULL, 'o'},
        {"add", required_argument, NULL, 'a'},
        {"remove", required_argument, NULL, 'r'},
        {"step", no_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    static const char *const default_open[] = {
        "10.0.0.1/24", "10.0.2.1/24", "fd00::1/64", "fd00:2::1/64"};
    static const char *const default_add[] = {
        "10.1.0.1/16", "192.168.7.1/32 peer 192.168.7.2", "fd00:1::1/64"};
    static const char *const default_remove[] = {"10.0.2.1", "fd00:2::1"};
    static struct address_list open_list, add_list, remove_list;
    const char *name = NULL;
    bool step = false;
    unsigned long seconds = 0;
    int rc, opt;

    setvbuf(stdout, NULL, _IOLBF, 0); /* one line at a time, also to a pipe */
    while ((opt = getopt_long(argc, argv, "n:o:a:r:st:h", options, NULL)) !=
           -1) {
        rc = 0;
        switch (opt) {
        case 'n':
            name = optarg;
            rc = example_check_name(name, "--name");
            break;
        case 'o': rc = push(&open_list, optarg); break;
        case 'a': rc = push(&add_list, optarg); break;
        case 'r': rc = push(&remove_list, optarg); break;
        case 's': step = true; break;
        case 't': rc = example_parse_timeout(optarg, &seconds); break;
        case 'h': return example_help(argv[0], help);
        default: return example_usage_error(argv[0]);
        }
        if (rc != 0)
            return EXAMPLE_EXIT_USAGE;
    }
    if ((rc = example_no_operands(argc, argv, optind)) != 0)
        return rc;
    if (open_list.count + add_list.count + remove_list.count == 0) {
        for (size_t i = 0; i < sizeof(default_open) / sizeof(*default_open); i++)
            push(&open_list, default_open[i]);
        for (size_t i = 0; i < sizeof(default_add) / sizeof(*default_add); i++)
            push(&add_list, default_add[i]);
        for (size_t i = 0; i < sizeof(default_remove) / sizeof(*default_remove); i++)
            push(&remove_list, default_remove[i]);
    }

    /* Step 1: the addresses go into the configuration; tun_open() assigns
     * them all, or fails and leaves no device behind. */
    tun_config *cfg;
    tun_device *dev;
    rc = tun_config_new(&cfg);
    if (rc < 0)
        return example_fail("tun_config_new", rc);
    if (name && (rc = tun_config_set_name(cfg, name)) < 0) {
        tun_config_free(cfg);
        return example_fail("--name", rc);
    }
    for (size_t i = 0; i < open_list.count; i++) {
        rc = tun_config_add_address(cfg, &open_list.address[i]);
        if (rc < 0) {
            tun_config_free(cfg);
            /* Given twice, or too many. */
            return example_fail_usage(open_list.text[i], rc);
        }
    }
    rc = tun_open(cfg, &dev);
    tun_config_free(cfg);
    if (rc < 0)
        return example_fail("tun_open", rc);

    int status = 1;
    if (example_stop_on_signals(dev) != 0 ||
        print_addresses(dev, "after open") != 0 || !wait_for_enter(step))
        goto out;

    /* Step 2: add while the device runs, each with its automatic route. */
    for (size_t i = 0; i < add_list.count; i++) {
        rc = tun_device_add_address(dev, &add_list.address[i]);
        if (rc < 0) {
            example_fail(add_list.text[i], rc);
            goto out;
        }
    }
    if (print_addresses(dev, "after adding") != 0 || !wait_for_enter(step))
        goto out;

    /* Step 3: remove; only the family and address select the entry. */
    for (size_t i = 0; i < remove_list.count; i++) {
        rc = tun_device_remove_address(dev, &remove_list.address[i]);
        if (rc < 0) {
            example_fail(remove_list.text[i], rc);
            goto out;
        }
    }
    if (print_addresses(dev, "after removing") != 0 || !wait_for_enter(step))
        goto out;
    status = seconds > 0 ? example_keep(dev, seconds) : 0;

out:
    example_stop_handling_signals();
    tun_close(dev);
    return status;
}
