/*
 * device_info: create a device as the options say and print it the way
 * `ip addr show` prints an interface: index, name, TUN or TAP, up or down,
 * MTU, MAC address (TAP), every address, and the libtun flags.
 *
 * libtun creates the device (or attaches to an existing persistent one of
 * that name): a non-persistent device that another program holds cannot be
 * opened a second time.
 *
 * Run as root (or with CAP_NET_ADMIN):
 *   sudo ./device_info
 *   sudo ./device_info --tap -n tap7 -a 10.7.0.1/24 -a fd07::1/64 -m 1400 -w
 * Options:
 *   -n, --name NAME        interface name or pattern
 *   -T, --tap              a TAP (layer 2) device instead of TUN
 *   -a, --address A/P      an address, repeatable ("A/P peer B" for a peer)
 *   -m, --mtu N            MTU
 *   -M, --mac MAC          MAC address (TAP only)
 *   -d, --down             leave the interface down
 *   -q, --multi-queue      allow several queues
 *   -p, --packet-info      keep the packet information header
 *   -w, --wait             keep the device until Ctrl-C (to look at it with
 *                          other tools); the device goes away on exit
 *   -t, --timeout S        as --wait, but at most S seconds
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>

#include "common/example.h"

static void usage(const char *prog)
{
    fprintf(stderr,
            "usage: %s [-n NAME] [-T] [-a ADDR/PREFIX]... [-m MTU] [-M MAC]\n"
            "          [-d] [-q] [-p] [-w] [-t SECONDS]\n",
            prog);
}

static int print_device(tun_device *dev)
{
    char name[TUN_NAME_MAX], text[TUN_ADDRSTRLEN], flag_names[128];
    unsigned index, mtu, flags;
    bool up;
    uint8_t mac[6];
    tun_address addrs[32]; /* enough for a listing; more are counted */
    const size_t capacity = sizeof(addrs) / sizeof(addrs[0]);
    size_t count;
    int rc;

    if ((rc = tun_device_get_name(dev, name, sizeof(name))) < 0 ||
        (rc = tun_device_get_index(dev, &index)) < 0 ||
        (rc = tun_device_get_mtu(dev, &mtu)) < 0 ||
        (rc = tun_device_get_up(dev, &up)) < 0 ||
        (rc = tun_device_get_flags(dev, &flags)) < 0)
        return example_fail("querying the device", rc);
    bool tap = flags & TUN_FLAG_L2;
    printf("%u: %s: <%s,%s> mtu %u\n", index, name, tap ? "TAP" : "TUN",
           up ? "UP" : "DOWN", mtu);

    if (tap) {
        rc = tun_device_get_mac(dev, mac);
        if (rc < 0)
            return example_fail("tun_device_get_mac", rc);
        printf("    link/ether %02x:%02x:%02x:%02x:%02x:%02x\n", mac[0], mac[1],
               mac[2], mac[3], mac[4], mac[5]);
    } else {
        printf("    link/none\n"); /* IP packets only: no link address */
    }

    rc = tun_device_get_addresses(dev, addrs, capacity, &count);
    if (rc < 0 && rc != TUN_ENOBUFS)
        return example_fail("tun_device_get_addresses", rc);
    for (size_t i = 0; i < count && i < capacity; i++) {
        tun_address_format(&addrs[i], text, sizeof(text));
        printf("    %s %s\n", addrs[i].family == TUN_INET4 ? "inet" : "inet6",
               text);
    }
    if (count > capacity)
        printf("    (and %zu more addresses)\n", count - capacity);

    example_flag_names(flags, flag_names, sizeof(flag_names));
    printf("    libtun flags: %s\n", flag_names);
    return 0;
}

/* Keep the device until a signal or the deadline. Packets the kernel sends
 * meanwhile (IPv6 router solicitations...) are read and dropped. */
static int hold(tun_device *dev, unsigned long seconds)
{
    static uint8_t buf[TUN_MTU_MAX + 18];
    example_deadline deadline;
    example_deadline_start(&deadline, seconds);
    printf("keeping the device; Ctrl-C closes it\n");
    for (;;) {
        int n = tun_read_timeout(dev, buf, sizeof(buf),
                                 example_deadline_ms(&deadline));
        if (n == TUN_ETIMEDOUT || n == TUN_ECANCELED)
            return 0;
        if (n < 0 && n != TUN_EMSGSIZE)
            return example_fail("tun_read_timeout", n);
    }
}

int main(int argc, char **argv)
{
    static const struct option options[] = {
        {"name", required_argument, NULL, 'n'},
        {"tap", no_argument, NULL, 'T'},
        {"address", required_argument, NULL, 'a'},
        {"mtu", required_argument, NULL, 'm'},
        {"mac", required_argument, NULL, 'M'},
        {"down", no_argument, NULL, 'd'},
        {"multi-queue", no_argument, NULL, 'q'},
        {"packet-info", no_argument, NULL, 'p'},
        {"wait", no_argument, NULL, 'w'},
        {"timeout", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    unsigned long number, seconds = 0;
    bool wait = false;
    uint8_t mac[6];
    tun_address a;
    tun_config *cfg;
    tun_device *dev;
    int rc, opt;

    setvbuf(stdout, NULL, _IOLBF, 0); /* one line at a time, also to a pipe */
    rc = tun_config_new(&cfg);
    if (rc < 0)
        return example_fail("tun_config_new", rc);
    /* Each setter checks its argument at once; rc < 0 names the option. */
    while ((opt = getopt_long(argc, argv, "n:Ta:m:M:dqpwt:h", options,
                              NULL)) != -1) {
        rc = 0;
        switch (opt) {
        case 'n': rc = tun_config_set_name(cfg, optarg); break;
        case 'T': rc = tun_config_set_layer(cfg, TUN_LAYER_L2); break;
        case 'a':
            if (example_parse_address(optarg, &a) != 0)
                goto usage_error;
            rc = tun_config_add_address(cfg, &a);
            break;
        case 'm':
            if (example_parse_number(optarg, "--mtu", 0, UINT_MAX, &number))
                goto usage_error;
            rc = tun_config_set_mtu(cfg, (unsigned)number);
            break;
        case 'M':
            if (example_parse_mac(optarg, mac) != 0)
                goto usage_error;
            rc = tun_config_set_mac(cfg, mac);
            break;
        case 'd': rc = tun_config_set_up(cfg, false); break;
        case 'q': rc = tun_config_set_multi_queue(cfg, true); break;
        case 'p': rc = tun_config_set_packet_info(cfg, true); break;
        case 'w': wait = true; break;
        case 't':
            if (example_parse_timeout(optarg, &seconds))
                goto usage_error;
            wait = true;
            break;
        case 'h':
            usage(argv[0]);
            tun_config_free(cfg);
            return 0;
        default:
            usage(argv[0]);
            goto usage_error;
        }
        if (rc < 0) {
            char what[64];
            snprintf(what, sizeof(what), "option -%c", opt);
            example_fail(what, rc);
            goto usage_error;
        }
    }
    if (optind < argc) {
        usage(argv[0]);
        goto usage_error;
    }

    rc = tun_open(cfg, &dev);
    tun_config_free(cfg);
    if (rc < 0)
        return example_fail("tun_open", rc);
    int status = example_stop_on_signals(dev) != 0 ? 1 : print_device(dev);
    if (status == 0 && wait)
        status = hold(dev, seconds);
    example_stop_handling_signals();
    tun_close(dev);
    return status;

usage_error:
    tun_config_free(cfg);
    return 2;
}
