#!/usr/bin/env python3
"""Counts the pages a store's WAL holds per commit, by table or index.

Usage: wal-frames.py STORE.sqlite3   (with STORE.sqlite3-wal beside it, e.g. left by
`DROPBY_REUSE=1 DROPBY_KEEP_WAL=1 target/release/examples/dropby 20` after a
`PRAGMA wal_checkpoint(TRUNCATE)`). Pages the main file did not have yet are "new pages".
"""
import collections
import shutil
import sqlite3
import struct
import sys
import tempfile

store = sys.argv[1]
wal = open(store + "-wal", "rb").read()
page_size = struct.unpack(">I", wal[8:12])[0]
offset, pages, commits = 32, [], 0
while offset + 24 + page_size <= len(wal):
    page, commit = struct.unpack(">II", wal[offset : offset + 8])
    pages.append(page)
    commits += commit != 0
    offset += 24 + page_size
with tempfile.TemporaryDirectory() as tmp:
    copy = tmp + "/main.sqlite3"
    shutil.copy(store, copy)  # the main file alone: the pages before the WAL
    names = {p: n for n, p in sqlite3.connect(copy).execute("SELECT name, pageno FROM dbstat")}
counts = collections.Counter(names.get(p, "new pages") for p in pages)
print(f"{len(pages)} frames in {commits} commits: {len(pages) / max(commits, 1):.1f} pages a commit")
for name, n in counts.most_common():
    print(f"{n / max(commits, 1):6.2f}  {name}")
