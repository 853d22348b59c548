#!/usr/bin/perl
# The manual, generated from the doc comments of include/tun.h, so that the
# two cannot drift: a page in section 3 for each doc comment that precedes
# one or more TUN_EXTERN declarations (named after the first function; each
# further function gets a .so link to it), and libtun(7), the overview:
# man/libtun.7.in (concepts, platforms) filled with the header's conventions,
# its sections (intro, functions, constants), the types, a thread-safety
# list taken from each comment, and the README's complete example.
#
# Usage: gen-man.pl include/tun.h README.md man/libtun.7.in OUTDIR
# Writes OUTDIR/man3/*.3 and OUTDIR/man7/libtun.7 (OUTDIR/man3 is emptied
# first, so a removed function leaves no page behind). A function without a
# doc comment gets no page and is named on stderr; tests/check_man.sh fails
# on it. Needs nothing but perl-base. The date is SOURCE_DATE_EPOCH's, else
# the header's modification time.
use strict;
use warnings;

my ($header, $readme, $template, $out) = @ARGV;
die "usage: gen-man.pl HEADER README TEMPLATE OUTDIR\n" unless defined $out;

sub slurp {
    my ($path) = @_;
    open my $fh, '<', $path or die "gen-man.pl: $path: $!\n";
    local $/;
    return scalar <$fh>;
}

my @lines = split /\n/, slurp($header);
my ($version) = join("\n", @lines) =~ /#define TUN_VERSION_STRING "([^"]+)"/;
die "gen-man.pl: no TUN_VERSION_STRING in $header\n" unless $version;
my $epoch = $ENV{SOURCE_DATE_EPOCH} // (stat $header)[9];
my @t = gmtime $epoch;
my $date = sprintf '%04d-%02d-%02d', $t[5] + 1900, $t[4] + 1, $t[3];

# ---- reading the header ---------------------------------------------------

# The text of a comment's lines: markers and the " * " margin removed,
# blank lines kept as paragraph breaks.
sub comment_text {
    my @c = @_;
    for (@c) {
        s{^\s*/\*\s?}{};
        s{\s*\*/\s*$}{};
        s{^\s*\*(?:\s|$)}{};
        s{^\s+}{};
    }
    my $text = join "\n", @c;
    $text =~ s/^\n+|\n+$//g;
    return $text;
}

my $preamble;    # the file's first comment: the conventions
my @sections;    # {title, intro, groups => [], constants => []}
my @groups;      # {comment, funcs => [{name, decl}], section}
my @types;       # {name, text, comment}
my @undocumented;
my $section = {title => '', intro => '', groups => [], constants => []};
my ($pending, $last_group, $define_comment);

for (my $i = 0; $i < @lines; $i++) {
    my $l = $lines[$i];
    if ($l =~ m{^\s*/\*}) {
        my @c = ($l);
        push @c, $lines[++$i] while $lines[$i] !~ m{\*/} && $i + 1 < @lines;
        my $text = comment_text(@c);
        if ($text =~ /^-{20,}/m) {
            my @body = grep { !/^-{20,}$/ } split /\n/, $text;
            shift @body while @body && $body[0] eq '';
            my $title = shift @body // '';
            shift @body while @body && $body[0] eq '';
            $section = {title => $title, intro => join("\n", @body),
                        groups => [], constants => []};
            push @sections, $section;
            $pending = undef;
        } elsif (!defined $preamble) {
            $preamble = $text;
        } else {
            $pending = $text;
        }
        $last_group = undef;
        next;
    }
    if ($l =~ /^TUN_EXTERN\b/) {
        my $decl = $l;
        $decl .= ' ' . $lines[++$i] while $decl !~ /;/;
        $decl =~ s/^TUN_EXTERN\s+//;
        $decl =~ s/\s+/ /g;
        $decl =~ s/\(\s+/(/g;
        my ($name) = $decl =~ /\b(tun_\w+)\s*\(/;
        my $group;
        if (defined $pending) {
            $group = {comment => $pending, funcs => [], section => $section};
            push @groups, $group;
            push @{$section->{groups}}, $group;
        } elsif ($last_group) {
            $group = $last_group;    # shares the comment above
        } else {
            push @undocumented, $name;
            $group = {funcs => []};
        }
        push @{$group->{funcs}}, {name => $name, decl => $decl};
        $pending = undef;
        $last_group = $group;
        next;
    }
    # A line with a comment that goes on: take the rest with it.
    my $full = $l;
    $full .= ' ' . $lines[++$i] while $full =~ m{/\*} && $full !~ m{\*/} && $i + 1 < @lines;
    if ($full =~ /^#define (TUN_\w+)\s+(.*?)\s*(?:\/\*\s*(.*?)\s*\*\/)?\s*$/
        && $1 !~ /^TUN_(H|EXTERN|VERSION_\w+)$/) {
        my ($name, $value, $trailing) = ($1, $2, $3);
        $define_comment = $pending if defined $pending;
        my $doc = $trailing // $define_comment // '';
        $doc =~ s/\s+/ /g;
        $value =~ s/\s+/ /g;
        push @{$section->{constants}},
            {name => $name, value => $value, doc => $doc,
             block => $define_comment // ''};
        $pending = undef;
        $last_group = undef;
        next;
    }
    if ($full =~ /^typedef\b/) {
        my $text = $full;
        my $depth = () = $text =~ /\{/g;
        $depth -= () = $text =~ /\}/g;
        while ($depth > 0 || $text !~ /;\s*(\/\*.*\*\/)?\s*$/) {
            my $next = $lines[++$i];
            $depth += () = $next =~ /\{/g;
            $depth -= () = $next =~ /\}/g;
            $text .= "\n$next";
        }
        my ($name) = $text =~ /(\w+)\s*(?:\)\s*\(.*)?;\s*(?:\/\*.*\*\/)?\s*$/s;
        ($name) = $text =~ /\(\*(\w+)\)/ if $text =~ /^typedef \w+ \(\*/;
        push @types, {name => $name, text => $text, comment => $pending // '',
                      section => $section};
        $pending = undef;
        $last_group = undef;
        next;
    }
    # Anything else (a blank line, #ifdef) separates a comment from what
    # follows; a #define block's comment ends at a blank line.
    $define_comment = undef if $l =~ /^\s*$/;
    $pending = undef unless $l =~ /^#(if|else|endif)/;
    $last_group = undef;
}

my %is_function = map { $_->{name} => 1 } map { @{$_->{funcs}} } @groups;
my %page_of;
for my $g (@groups) {
    $page_of{$_->{name}} = $g->{funcs}[0]{name} for @{$g->{funcs}};
}

# ---- roff --------------------------------------------------------------------

sub escape {
    my ($s) = @_;
    $s =~ s/\\/\\e/g;
    $s =~ s/-/\\-/g;
    return $s;
}

# Prose to roff: paragraphs, "- " lists, one sentence per line, function
# names in bold.
sub prose {
    my ($text) = @_;
    my @out;
    for my $para (split /\n\s*\n/, $text) {
        my @items = split /\n(?=- )/, $para;
        for my $item (@items) {
            my $bullet = $item =~ s/^- //;
            $item =~ s/\s+/ /g;
            $item =~ s/^ | $//g;
            push @out, $bullet ? '.IP \(bu 2' : '.PP';
            my $e = escape($item);
            $e =~ s/\b(tun_\w+)\(\)/\\fB$1\\fP()/g;
            # A new sentence on a new line, as roff wants it.
            $e =~ s/(?<!\be\.g)(?<!\bi\.e)([.!?]) +(?=[A-Z(\\])/$1\n/g;
            $e =~ s/^([.'])/\\&$1/mg;
            push @out, $e;
        }
    }
    shift @out if @out && $out[0] eq '.PP';    # the caller starts the block
    return join "\n", @out;
}

# A text's sentences ("e.g." and "i.e." end none).
sub sentences {
    my ($text) = @_;
    return split /(?<!\be\.g\.)(?<!\bi\.e\.)(?<=[.!?])\s+/, $text =~ s/\s+/ /gr;
}

# The first sentence, shortened for the NAME line: cut at a colon or
# semicolon, else before a clause or a parenthesis, else between words.
sub summary {
    my ($first) = sentences($_[0]);
    $first =~ s/\.$//;
    for my $cut (qr/[:;]/, qr/, (?:or|and|as|which|with|so|for)\b/, qr/ \(/) {
        last if length $first <= 70;
        my ($short) = $first =~ /^(.{15,70}?)$cut/;
        $first = $short if defined $short;
    }
    if (length $first > 70) {
        $first = substr($first, 0, 67);
        $first =~ s/\s+\S*$//;
        $first .= '...';
    }
    # No parenthesis left open by a cut.
    $first =~ s/ \([^)]*$// while ($first =~ tr/(//) > ($first =~ tr/)//);
    return $first;
}

# A prototype with the parameter names in italics (.BI alternates).
sub synopsis_line {
    my ($decl) = @_;
    my ($head, $params, $tail) = $decl =~ /^(.*?\()(.*)(\);)$/ or return ".B \"$decl\"";
    my @parts = ($head);
    my @p = split /, /, $params;
    for my $k (0 .. $#p) {
        my ($type, $name, $suffix) = $p[$k] =~ /^(.*?)(\w+)(\[\w*\])?$/;
        if (!defined $name || $p[$k] eq 'void' || $type eq '') {
            $parts[-1] .= $p[$k];
        } else {
            $parts[-1] .= $type;
            push @parts, $name, ($suffix // '');
        }
        $parts[-1] .= ', ' if $k < $#p;
    }
    $parts[-1] .= $tail;
    return '.BI ' . join ' ', map { '"' . escape($_) . '"' } @parts;
}

# Text lines of filled paragraphs cut at 78 bytes, between words.
sub wrap {
    my ($text) = @_;
    my ($nofill, @out) = (0);
    for my $line (split /\n/, $text) {
        $nofill = 1 if $line =~ /^\.nf\b/;
        $nofill = 0 if $line =~ /^\.fi\b/;
        if ($nofill || $line =~ /^[.']/ || length $line <= 78) {
            push @out, $line;
            next;
        }
        my $cur = '';
        for my $word (split / /, $line) {
            if ($cur ne '' && length($cur) + 1 + length($word) > 78) {
                push @out, $cur;
                $cur = $word =~ /^[.']/ ? "\\&$word" : $word;
            } else {
                $cur = $cur eq '' ? $word : "$cur $word";
            }
        }
        push @out, $cur;
    }
    return join("\n", @out) . "\n";
}

sub write_file {
    my ($path, $text) = @_;
    $text = wrap($text) unless $text =~ /^\.so /;
    open my $fh, '>', $path or die "gen-man.pl: $path: $!\n";
    print $fh $text;
    close $fh or die "gen-man.pl: $path: $!\n";
}

sub th {
    my ($name, $sec) = @_;
    return ".\\\" Generated by man/gen-man.pl from include/tun.h: edit those.\n"
         . ".TH \U$name\E $sec $date \"libtun $version\" \"libtun Manual\"\n"
         . ".ad l\n.nh\n";    # ragged right, no hyphen inside function names
}

sub mkdir_p { for (@_) { mkdir $_ unless -d $_; -d $_ or die "gen-man.pl: mkdir $_: $!\n" } }

mkdir_p($out, "$out/man3", "$out/man7");
unlink glob "$out/man3/*.3";

# ---- section 3 ---------------------------------------------------------------

for my $g (@groups) {
    my @names = map { $_->{name} } @{$g->{funcs}};
    my $page = $names[0];
    my $text = th($page, 3);
    $text .= ".SH NAME\n" . join(', ', @names) . ' \- ' . escape(summary($g->{comment})) . "\n";
    $text .= ".SH LIBRARY\nlibtun (\\fB\\-ltun\\fP; \\fBpkg\\-config \\-\\-libs libtun\\fP)\n";
    $text .= ".SH SYNOPSIS\n.nf\n.B #include <tun.h>\n";
    # The types the prototypes use, as the header defines them.
    my $decls = join ' ', map { $_->{decl} } @{$g->{funcs}};
    for my $t (@types) {
        next unless $t->{text} =~ /[{(]/ && $decls =~ /\b\Q$t->{name}\E\b/;
        $text .= ".PP\n" . join("\n", map { '.B "' . escape($_) . '"' }
                                   grep { !/^\s*$/ } split /\n/, $t->{text}) . "\n";
    }
    $text .= ".PP\n" . join("\n", map { synopsis_line($_->{decl}) } @{$g->{funcs}}) . "\n.fi\n";
    $text .= ".SH DESCRIPTION\n" . prose($g->{comment}) . "\n";
    my @consts = grep { my $c = $_; grep { $c->{block} =~ /\b\Q$_\E\(\)/ } @names }
                 map { @{$_->{constants}} } @sections;
    if (@consts) {
        $text .= ".SH CONSTANTS\n";
        $text .= ".TP\n.B " . escape($_->{name}) . "\n" . escape("$_->{value}" . ($_->{doc} && $_->{doc} ne $_->{block} ? ": $_->{doc}" : '')) . "\n" for @consts;
    }
    if ($g->{section}{title}) {
        $text .= ".SH NOTES\nThe conventions of every call (return values, errors, NULL arguments) are in\n"
               . ".BR libtun (7),\nwhich also introduces this group of calls (\"" . escape($g->{section}{title}) . "\").\n";
    }
    # See also: the rest of the section, then the functions the text names.
    my %seen = map { $_ => 1 } @names;
    my @see;
    for my $f (map { $_->{funcs}[0]{name} } @{$g->{section}{groups}}) {
        push @see, $f unless $seen{$f}++;
    }
    for my $f ($g->{comment} =~ /\b(tun_\w+)\(\)/g) {
        my $p = $page_of{$f} // $f;    # an unknown name stays, for the test to see
        push @see, $p unless $seen{$p}++;
    }
    $text .= ".SH SEE ALSO\n.BR libtun (7)" . join('', map { ",\n.BR " . escape($_) . " (3)" } @see) . "\n";
    write_file("$out/man3/$page.3", $text);
    write_file("$out/man3/$_.3", ".so man3/$page.3\n") for @names[1 .. $#names];
}

# ---- libtun(7) ---------------------------------------------------------------

# The sentences of a text that speak of threads or signals.
sub threads_said {
    my ($text) = @_;
    return grep { /thread-safe|signal-safe|not safe|\bsafe\b|another thread/i } sentences($text);
}

my $sections_roff = '';
my $threads_roff = '';
for my $s (@sections) {
    $sections_roff .= ".SS " . escape($s->{title}) . "\n";
    my @rule = threads_said($s->{intro});
    $threads_roff .= ".TP\n.I " . escape("$s->{title} (the whole group)") . "\n" . escape(join ' ', @rule) . "\n" if @rule;
    $sections_roff .= prose($s->{intro}) . "\n" if $s->{intro} ne '';
    for my $g (@{$s->{groups}}) {
        my @names = map { $_->{name} } @{$g->{funcs}};
        # The whole first sentence: the overview has room for it (the NAME
        # line's summary cuts long ones short with "...").
        my ($what) = sentences($g->{comment});
        $sections_roff .= ".TP\n.BR " . join(' ", " ', map { escape($_) . ' (3)' } @names) . "\n"
                        . escape($what) . ($what =~ /\.$/ ? '' : '.') . "\n";
        my @said = threads_said($g->{comment});
        $threads_roff .= ".TP\n.B " . escape(join ', ', @names) . "\n" . escape(join ' ', @said) . "\n" if @said;
    }
    for my $c (@{$s->{constants}}) {
        $sections_roff .= ".TP\n.B " . escape($c->{name}) . "\n" . escape($c->{value} . ($c->{doc} ? ": $c->{doc}" : '')) . "\n";
    }
}
my $types_roff = '';
for my $t (@types) {
    $types_roff .= ".PP\n" if $types_roff ne '';
    $types_roff .= ".nf\n" . join("\n", map { escape($_) =~ s/^([.'])/\\&$1/r } split /\n/, $t->{text}) . "\n.fi\n";
    $types_roff .= ".PP\n" . prose($t->{comment}) . "\n" if $t->{comment} ne '';
}
my ($example) = slurp($readme) =~ /^```c\n(.*?)^```/ms;
die "gen-man.pl: no C example in $readme\n" unless $example;
$example =~ s/\\/\\e/g;
$example =~ s/^([.'])/\\&$1/mg;

my $page7 = slurp($template);
my %fill = (
    CONVENTIONS => prose($preamble // ''),
    SECTIONS => $sections_roff,
    TYPES => $types_roff,
    THREADS => $threads_roff,
    EXAMPLE => ".PP\n.nf\n.RS 4\n$example.RE\n.fi",
);
$page7 =~ s/^\@(\w+)\@$/$fill{$1} \/\/ die "gen-man.pl: unknown \@$1\@ in $template\n"/mge;
write_file("$out/man7/libtun.7", th('libtun', 7) . $page7);

if (@undocumented) {
    print STDERR "gen-man.pl: no doc comment (so no manual page) for: @undocumented\n";
}
exit 0;
