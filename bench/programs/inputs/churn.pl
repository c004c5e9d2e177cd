# //bench:apps "perl": hash and string churn (Debian's perl uses the system malloc).
# Usage: perl churn.pl N (work scales with N). Prints one deterministic checksum line.
use strict;
use warnings;

my $n = shift @ARGV;
my $state = 12345;
# A fixed linear congruential sequence: the same data under every allocator.
sub rnd { $state = ($state * 1103515245 + 12345) % 2147483648; return $state % $_[0]; }

my $sum = 0;
for my $epoch (1 .. $n) {
    my %h;
    for my $i (1 .. 4000) {
        my $k = "key" . rnd(3000);
        $h{$k} .= ("v" . rnd(100)) x (1 + rnd(8));
        delete $h{"key" . rnd(3000)} if rnd(4) == 0;
    }
    my $joined = join(",", map { "$_=" . length($h{$_}) } sort keys %h);
    my @parts = split /,/, $joined;
    (my $squeezed = $joined) =~ s/key(\d+)/K$1/g;
    $sum = ($sum * 31 + scalar(@parts) + length($squeezed)) % 1000000007;
}
print "$sum $n\n";
