#include "responder_options.h"

#include <getopt.h>

#include "../common/example.h"

int responder_parse_options(int argc, char **argv, const char *help,
                            struct responder_options *out)
{
    static const struct option options[] = {
        {"name", required_argument, NULL, 'n'},
        {"address", required_argument, NULL, 'a'},
        {"timeout", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    out->name = NULL;
    out->address = "10.0.0.1/24";
    out->seconds = 0;
    int opt;
    while ((opt = getopt_long(argc, argv, "n:a:t:h", options, NULL)) != -1) {
        switch (opt) {
        case 'n': out->name = optarg; break;
        case 'a': out->address = optarg; break;
        case 't':
            if (example_parse_timeout(optarg, &out->seconds) != 0)
                return EXAMPLE_EXIT_USAGE;
            break;
        case 'h': return example_help(argv[0], help);
        default: return example_usage_error(argv[0]);
        }
    }
    int status = example_no_operands(argc, argv, optind);
    return status != 0 ? status : -1;
}
