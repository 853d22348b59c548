/* Built against the installed header and library: the versions agree and a
 * config can be made without privilege. */
#include <stdio.h>
#include <tun.h>

int main(void)
{
    tun_config *cfg;
    if (tun_version() != TUN_VERSION_HEX || tun_config_new(&cfg) != 0)
        return 1;
    int rc = tun_config_add_ipv4(cfg, "10.0.0.1", 24, NULL);
    tun_config_free(cfg);
    printf("consumer: libtun %s, add_ipv4 = %d\n", tun_version_string(), rc);
    return rc == 0 ? 0 : 1;
}
