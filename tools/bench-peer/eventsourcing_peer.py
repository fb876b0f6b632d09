#!/usr/bin/env python3
"""The peer that tools/bench compares `ledger target import` and `ledger rebuild` with.

The Python `eventsourcing` library (PyPI `eventsourcing`), SQLite recorder in a file database, storing the same
shape of data as the demo's targets: 30,000 `Target` aggregates, each identified, each with a takedown requested and
three in four taken down: 82,500 events. It neither hashes nor signs.

    eventsourcing_peer.py write DB [--aggregates N] [--per-save K]
        stores the aggregates, K per `Application.save(*aggregates)` call (one SQLite transaction each)
    eventsourcing_peer.py replay DB
        reads every event back in notification order and folds them into state in memory

Each prints one line of JSON: what it did and the seconds it took, measured in-process from after the imports and
the application's set-up to the end (so the interpreter's start-up is not counted against the peer).
"""

import argparse
import importlib.metadata
import json
import os
import sqlite3
import sys
import time

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event


class Target(Aggregate):
    """A takedown target: the fields of the demo's `target.identified`, then its takedown."""

    @event("Identified")
    def __init__(self, case, kind, value, category, country, hosting_provider, asn, source):
        self.case = case
        self.kind = kind
        self.value = value
        self.category = category
        self.country = country
        self.hosting_provider = hosting_provider
        self.asn = asn
        self.source = source
        self.status = "identified"
        self.requests = []

    @event("TakedownRequested")
    def request_takedown(self, recipient, legal_instrument):
        self.requests.append((recipient, legal_instrument))
        self.status = "takedown-requested"

    @event("TakedownConfirmed")
    def confirm_takedown(self, method, occurred_at):
        self.method = method
        self.taken_down_at = occurred_at
        self.status = "taken-down"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=["write", "replay"])
    parser.add_argument("db", help="the SQLite file (write: must not exist yet)")
    parser.add_argument("--aggregates", type=int, default=30_000)
    parser.add_argument("--per-save", type=int, default=1_000, help="aggregates per save() call (one transaction)")
    arguments = parser.parse_args()
    if arguments.mode == "write" and os.path.exists(arguments.db):
        print(f"error: {arguments.db} exists", file=sys.stderr)
        return 2
    os.environ["PERSISTENCE_MODULE"] = "eventsourcing.sqlite"
    os.environ["SQLITE_DBNAME"] = arguments.db

    app = Application()
    # The library sets no `synchronous`: its connections keep SQLite's default (2, FULL: an fsync per commit, as
    # the ledger's), which a connection of our own reports.
    synchronous = sqlite3.connect(arguments.db).execute("PRAGMA synchronous").fetchone()[0]
    providers = ["Hoster Alpha", "Bulletproof Beta", "Cloud Gamma", "Datacenter Delta", "VPS Epsilon"]
    methods = ["hosting-provider", "registrar", "sinkhole", "seizure"]
    categories = ["phishing", "ransomware", "infostealer"]

    if arguments.mode == "write":
        start = time.perf_counter()
        events = 0
        saves = 0
        batch = []
        for index in range(arguments.aggregates):
            address = 0xC6120000 + index % 131_072
            provider = providers[index % len(providers)]
            target = Target(
                case="OP-SYNERGIA-DEMO", kind="ip",
                value=f"{address >> 24}.{(address >> 16) & 255}.{(address >> 8) & 255}.{address & 255}",
                category=categories[index % 3], country="NL", hosting_provider=provider, asn=64_496 + index % 15,
                source="Partner threat-intelligence feed (fictitious)")
            target.request_takedown(provider, f"EIO-2024/{1000 + index % 500}")
            events += 2
            if index % 4 != 3:
                target.confirm_takedown(methods[index % len(methods)], "2024-06-01T10:00:00+02:00")
                events += 1
            batch.append(target)
            if len(batch) == arguments.per_save:
                app.save(*batch)
                saves += 1
                batch = []
        if batch:
            app.save(*batch)
            saves += 1
        seconds = time.perf_counter() - start
        result = {"mode": "write", "aggregates": arguments.aggregates, "events": events, "saves": saves,
                  "seconds": seconds}
    else:
        start = time.perf_counter()
        recorder = app.recorder
        mapper = app.mapper
        state = {}
        events = 0
        position = 1
        while True:
            notifications = recorder.select_notifications(start=position, limit=10_000)
            if not notifications:
                break
            for notification in notifications:
                domain_event = mapper.to_domain_event(notification)
                state[domain_event.originator_id] = domain_event.mutate(state.get(domain_event.originator_id))
                events += 1
            position = notifications[-1].id + 1
        seconds = time.perf_counter() - start
        taken_down = sum(1 for target in state.values() if target.status == "taken-down")
        result = {"mode": "replay", "aggregates": len(state), "events": events, "taken_down": taken_down,
                  "seconds": seconds}
    result["eventsourcing"] = importlib.metadata.version("eventsourcing")
    result["sqlite_synchronous"] = synchronous
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
