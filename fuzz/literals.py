#!/usr/bin/env python3
"""C string literals of source files, for fuzz/run.sh.

  literals.py seeds OUT PREFIX FILE...   one corpus file per literal
                                         (adjacent literals joined, escapes
                                         decoded, PREFIX put before each)
  literals.py dict OUT FILE...           a libFuzzer dictionary of the short
                                         literals (keys, keywords, prefixes)
"""
import codecs
import hashlib
import re
import sys
import warnings

warnings.simplefilter('ignore', DeprecationWarning)  # "\d" in a C literal

LIT = re.compile(r'"((?:[^"\\\n]|\\.)*)"')
RUN = re.compile(r'"(?:[^"\\\n]|\\.)*"(?:\s*"(?:[^"\\\n]|\\.)*")*')


def literals(path):
    src = open(path, encoding='utf-8', errors='replace').read()
    src = re.sub(r'^#include.*$', '', src, flags=re.M)
    src = re.sub(r"'(?:[^'\\\n]|\\.)'", "' '", src)  # '"' is no string
    for m in RUN.finditer(src):
        raw = ''.join(LIT.findall(m.group(0)))
        try:
            yield codecs.escape_decode(raw.encode('utf-8'))[0]
        except ValueError:
            continue


def seeds(out, prefix, files):
    prefix = codecs.escape_decode(prefix.encode())[0]
    for path in files:
        for data in literals(path):
            if len(data) < 2:
                continue
            data = prefix + data
            name = 'str_%s' % hashlib.sha1(data).hexdigest()[:16]
            with open('%s/%s' % (out, name), 'wb') as f:
                f.write(data)


def dictionary(out, files):
    words = set()
    for path in files:
        for data in literals(path):
            if 2 <= len(data) <= 40 and b'%' not in data:
                words.add(data)
    with open(out, 'w') as f:
        for w in sorted(words):
            f.write('"%s"\n' % ''.join(chr(c) if 32 <= c < 127 and c not in (34, 92) else '\\x%02x' % c
                                       for c in w))


if __name__ == '__main__':
    if sys.argv[1] == 'seeds':
        seeds(sys.argv[2], sys.argv[3], sys.argv[4:])
    else:
        dictionary(sys.argv[2], sys.argv[3:])
