/* The command line of the Windows responders (poll_responder.c,
 * uv_responder.c): -n NAME, -a ADDR/PREFIX, -t SECONDS, -h. */
#ifndef RESPONDER_OPTIONS_H
#define RESPONDER_OPTIONS_H

struct responder_options {
    const char *name;    /* NULL: the library's default pattern */
    const char *address; /* "10.0.0.1/24" unless given */
    unsigned long seconds; /* 0: no time limit */
};

/* Read argv into *out. Returns -1 to go on, else the exit status to leave
 * with: 0 after printing help (the text after the program's name), or
 * EXAMPLE_EXIT_USAGE after naming what was wrong. */
int responder_parse_options(int argc, char **argv, const char *help,
                            struct responder_options *out);

#endif
