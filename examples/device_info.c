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
 * Options: see `help` below (or run it with --help).
 */
#include <getopt.h>
#include <stdio.h>

#include "common/example.h"

static const char help[] =
    "[-n NAME] [-T] [-a ADDR/PREFIX]... [-m MTU] [-M MAC]\n"
    "          [-d] [-q] [-p] [-w] [-t SECONDS]\n"
    "Creates a device as the options say and prints it as `ip addr show`\n"
    "would, through libtun's queries.\n"
    "  -n, --name NAME        interface name or pattern (default: tun%d, tap%d)\n"
    "  -T, --tap              a TAP (layer 2) device instead of TUN\n"
    "  -a, --address A/P      an address, repeatable (\"A/P peer B\" for a peer)\n"
    "  -m, --mtu N            MTU, 68 to 65535 (1280 or more with IPv6)\n"
    "  -M, --mac MAC          unicast MAC address (TAP only)\n"
    "  -d, --down             leave the interface down\n"
    "  -q, --multi-queue      allow several queues (tun_clone_queue())\n"
    "  -p, --packet-info      keep the packet information header\n"
    "  -w, --wait             keep the device until Ctrl-C (to look at it\n"
    "                         with other tools); it goes away on exit\n"
    "  -t, --timeout S        as --wait, but at most S seconds\n"
    "  -h, --help             this text\n"
    "Exit status: 0 done, 1 a run-time failure, 2 a usage error.\n";

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
    unsigned long seconds = 0;
    unsigned mtu;
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
            if (example_parse_mtu(optarg, &mtu) != 0)
                goto usage_error;
            rc = tun_config_set_mtu(cfg, mtu);
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
            tun_config_free(cfg);
            return example_help(argv[0], help);
        default:
            tun_config_free(cfg);
            return example_usage_error(argv[0]);
        }
        if (rc < 0) {
            char what[64];
            snprintf(what, sizeof(what), "option -%c", opt);
            example_fail(what, rc);
            goto usage_error;
        }
    }
    if ((rc = example_no_operands(argc, argv, optind)) != 0) {
        tun_config_free(cfg);
        return rc;
    }

    rc = tun_open(cfg, &dev);
    tun_config_free(cfg);
    if (rc < 0)
        return example_fail("tun_open", rc);
    int status = example_stop_on_signals(dev) != 0 ? 1 : print_device(dev);
    if (status == 0 && wait)
        status = example_keep(dev, seconds);
    example_stop_handling_signals();
    tun_close(dev);
    return status;

usage_error:
    tun_config_free(cfg);
    return EXAMPLE_EXIT_USAGE;
}
