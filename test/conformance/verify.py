#!/usr/bin/env python3
"""Verifies the conformance corpus against the nft binary (the oracle).

Runs nft only inside throwaway network namespaces it creates and deletes
itself; the caller's ruleset is never touched. Needs root and `ip`/`nft`.

  verify.py rules [--candidates FILE --family F] # check rules*.txt (or sort a candidate list)
  verify.py files [--write]                      # load files/*.nft, compare/write .expected

rules:  every line of rules.nft.txt / rules.ip.txt / rules.ip6.txt /
        rules.bridge.txt must be accepted by `nft -f` as
        `add rule <family> t c <line>` after its prelude, and every entry of
        rules.rejected.txt must still be refused. rules.printed.tsv is
        rewritten with what `nft list chain` prints for each accepted rule.
        With --candidates, the lines of FILE are sorted into the family's
        rules file (accepted) and rules.rejected.txt (refused, with nft's error).
files:  each files/NN-*.nft is loaded with `nft -f` into a fresh namespace
        (after creating a veth `<dev>` with peer `<dev>p` when its first line
        is `# needs-device: <dev>`), then `nft list ruleset` is compared with
        (or, with --write, written to) files/NN-*.expected.
"""
import os
import random
import subprocess
import sys
import tempfile

DIR = os.path.dirname(os.path.abspath(__file__))
FAMILIES = {
    'inet': ('rules.nft.txt', 'rules.prelude.nft'),
    'ip': ('rules.ip.txt', 'rules.ip.prelude.nft'),
    'ip6': ('rules.ip6.txt', 'rules.ip6.prelude.nft'),
    'bridge': ('rules.bridge.txt', 'rules.bridge.prelude.nft'),
}
REJECTED = os.path.join(DIR, 'rules.rejected.txt')
PRINTED = os.path.join(DIR, 'rules.printed.tsv')


class Netns:
    def __init__(self, tag):
        self.name = 'conf-%s-%d-%06x' % (tag, os.getpid(), random.getrandbits(24))
        subprocess.run(['ip', 'netns', 'add', self.name], check=True)

    def run(self, *args):
        return subprocess.run(['ip', 'netns', 'exec', self.name, *args], capture_output=True, text=True)

    def nft_text(self, text):
        with tempfile.NamedTemporaryFile('w', suffix='.nft', delete=False) as f:
            f.write(text)
            path = f.name
        try:
            return self.run('nft', '-f', path)
        finally:
            os.unlink(path)

    def remove(self):
        subprocess.run(['ip', 'netns', 'del', self.name], check=False)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def read_lines(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [l.strip() for l in f if l.strip() and not l.strip().startswith('#')]


def first_error(stderr):
    lines = [l for l in stderr.splitlines() if l.strip()]
    # nft prints "file:line:col-col: Error: msg", then the line and a caret line
    for l in lines:
        if 'Error:' in l:
            return l.split('Error:', 1)[1].strip()
    return (lines[0] if lines else 'unknown error').strip()


def chain_body(listing):
    out, inside = [], False
    for l in listing.splitlines():
        s = l.strip()
        if s.startswith('chain c {'):
            inside = True
            continue
        if inside:
            if s == '}':
                break
            if s:
                out.append(s)
    return ' '.join(out)


def check_rules(ns, family, lines):
    """Returns [(line, ok, error_or_printed)]."""
    results = []
    for line in lines:
        r = ns.nft_text('add rule %s t c %s\n' % (family, line))
        if r.returncode != 0:
            results.append((line, False, first_error(r.stderr)))
            continue
        listed = ns.run('nft', 'list', 'chain', family, 't', 'c')
        results.append((line, True, chain_body(listed.stdout)))
        ns.run('nft', 'flush', 'chain', family, 't', 'c')
    return results


def prelude_ns(family):
    prelude = os.path.join(DIR, FAMILIES[family][1])
    ns = Netns(family)
    with open(prelude) as f:
        text = f.read()
    r = ns.nft_text(text + '\nadd chain %s t c\n' % family)
    if r.returncode != 0:
        ns.remove()
        sys.exit('prelude %s does not load: %s' % (prelude, r.stderr))
    return ns


def read_rejected():
    out = []
    if os.path.exists(REJECTED):
        with open(REJECTED) as f:
            for l in f:
                if l.startswith('#') or not l.strip():
                    continue
                fam, rule, err = l.rstrip('\n').split('\t')
                out.append((fam, rule, err))
    return out


def write_rejected(entries):
    with open(REJECTED, 'w') as f:
        f.write('# Rule bodies nft %s refuses, as `add rule <family> t c <rule>` after the\n' % nft_version())
        f.write("# family's prelude. Columns (tab-separated): family, rule, nft's error message.\n")
        for fam, rule, err in entries:
            f.write('%s\t%s\t%s\n' % (fam, rule, err))


def nft_version():
    return subprocess.run(['nft', '--version'], capture_output=True, text=True).stdout.split()[1]


def full_load_check(family):
    """Loads all rules of a family the way conformance.test.ts does (one chain per rule, one file)."""
    rules_file, prelude_file = FAMILIES[family]
    rules = read_lines(os.path.join(DIR, rules_file))
    with open(os.path.join(DIR, prelude_file)) as f:
        prelude = f.read()
    body = '\n'.join('add chain %s t c%d\nadd rule %s t c%d %s' % (family, i, family, i, r) for i, r in enumerate(rules))
    with Netns(family + 'all') as ns:
        r = ns.nft_text(prelude + '\n' + body + '\n')
        if r.returncode != 0:
            print('FAIL: %s rules do not load as one file: %s' % (family, r.stderr))
            return False
    print('ok: %d %s rules load as one file' % (len(rules), family))
    return True


def cmd_rules(argv):
    if '--candidates' in argv:
        cand = argv[argv.index('--candidates') + 1]
        family = argv[argv.index('--family') + 1]
        lines = read_lines(cand)
        rules_path = os.path.join(DIR, FAMILIES[family][0])
        existing = read_lines(rules_path)
        rejected = read_rejected()
        ns = prelude_ns(family)
        try:
            res = check_rules(ns, family, lines)
        finally:
            ns.remove()
        acc = existing + [l for l, ok, _ in res if ok and l not in existing]
        rej_keys = {(f, r) for f, r, _ in rejected}
        rej = rejected + [(family, l, e) for l, ok, e in res if not ok and (family, l) not in rej_keys]
        with open(rules_path, 'w') as f:
            f.write(''.join(l + '\n' for l in acc))
        write_rejected(rej)
        print('%s: %d accepted, %d rejected' % (family, sum(ok for _, ok, _ in res), sum(not ok for _, ok, _ in res)))
        return 0
    failed = 0
    printed = []
    rejected = read_rejected()
    for family, (rules_file, _) in FAMILIES.items():
        lines = read_lines(os.path.join(DIR, rules_file))
        ns = prelude_ns(family)
        try:
            res = check_rules(ns, family, lines)
            rej = check_rules(ns, family, [r for f, r, _ in rejected if f == family])
        finally:
            ns.remove()
        for l, ok, info in res:
            if not ok:
                failed += 1
                print('FAIL (refused): %s %s: %s' % (family, l, info))
            else:
                printed.append((family, l, info))
        for l, ok, info in rej:
            if ok:
                failed += 1
                print('FAIL (now accepted): %s %s -> %s' % (family, l, info))
        print('%s: %d rules checked, %d rejected entries re-checked' % (family, len(res), len(rej)))
        if not full_load_check(family):
            failed += 1
    with open(PRINTED, 'w') as f:
        f.write('# family\twritten\tprinted by `nft list chain` (nft %s)\n' % nft_version())
        for fam, l, p in printed:
            f.write('%s\t%s\t%s\n' % (fam, l, p))
    diffs = sum(1 for _, l, p in printed if l != p)
    print('%d rules print differently from how they were written (see rules.printed.tsv)' % diffs)
    return 1 if failed else 0


def cmd_files(argv):
    write = '--write' in argv
    fdir = os.path.join(DIR, 'files')
    failed = 0
    names = sorted(n for n in os.listdir(fdir) if n.endswith('.nft'))
    for n in names:
        path = os.path.join(fdir, n)
        with open(path) as f:
            first = f.readline()
        dev = None
        if first.startswith('#') and 'needs-device:' in first:
            dev = first.split('needs-device:', 1)[1].split()[0]
        with Netns('file') as ns:
            if dev:
                subprocess.run(['ip', '-n', ns.name, 'link', 'add', dev, 'type', 'veth', 'peer', 'name', dev + 'p'], check=True)
            r = ns.run('nft', '-f', path)
            if r.returncode != 0:
                failed += 1
                print('FAIL: %s: %s' % (n, r.stderr.strip()))
                continue
            listing = ns.run('nft', 'list', 'ruleset').stdout
        exp = path[:-4] + '.expected'
        if write:
            with open(exp, 'w') as f:
                f.write(listing)
            print('ok: %s (wrote %s)' % (n, os.path.basename(exp)))
        else:
            want = open(exp).read() if os.path.exists(exp) else None
            if want is None:
                failed += 1
                print('FAIL: %s has no .expected' % n)
            elif normalize(want) != normalize(listing):
                failed += 1
                print('FAIL: %s lists differently from %s' % (n, os.path.basename(exp)))
            else:
                print('ok: %s' % n)
    print('%d files, %d failed' % (len(names), failed))
    return 1 if failed else 0


def normalize(text):
    """Same normalisation as conformance.test.ts: no handles, no expiry countdowns, no wrapping."""
    import re
    text = re.sub(r',\s*\n\s*', ', ', text)
    out = []
    for l in text.split('\n'):
        l = re.sub(r'\s*# handle \d+', '', l)
        l = re.sub(r' expires [0-9dhms]+', '', l)
        l = re.sub(r'\s+', ' ', l).strip()
        if l:
            out.append(l)
    return '\n'.join(out)


if __name__ == '__main__':
    if os.geteuid() != 0:
        sys.exit('needs root (creates network namespaces)')
    if len(sys.argv) < 2 or sys.argv[1] not in ('rules', 'files'):
        sys.exit(__doc__)
    sys.exit(cmd_rules(sys.argv[2:]) if sys.argv[1] == 'rules' else cmd_files(sys.argv[2:]))
