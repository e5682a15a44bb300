"""Totals of a `make fuzz` run from Schemathesis' NDJSON event streams (scripts/fuzz.sh prints them).

    python tools/fuzz_totals.py .dev/fuzz/admin.ndjson ...

Per stream: operations tested, test cases, checks run, check failures by check name (each distinct
failure counted once: operation and failure title), and the 5xx answers seen.
"""

import collections
import json
import sys


def totals(path):
    operations, cases, checks, server_errors = set(), set(), 0, 0
    failures = collections.defaultdict(set)
    with open(path, encoding="utf-8") as events:
        for line in events:
            event = json.loads(line)
            finished = event.get("ScenarioFinished")
            if not finished:
                continue
            recorder = finished["recorder"]
            for case_id, results in recorder.get("checks", {}).items():
                cases.add(case_id)
                checks += len(results)
                for result in results:
                    if result["status"] == "failure":
                        failure = result["failure_info"]["failure"]
                        failures[result["name"]].add((failure.get("operation"), failure.get("title")))
            if recorder.get("cases") and finished["phase"] != "stateful":
                operations.add(recorder["label"])
            for interaction in recorder.get("interactions", {}).values():
                response = interaction.get("response") or {}
                if response.get("status_code", 0) >= 500:
                    server_errors += 1
    return operations, cases, checks, failures, server_errors


def main():
    for path in sys.argv[1:]:
        operations, cases, checks, failures, server_errors = totals(path)
        name = path.rsplit("/", 1)[-1].removesuffix(".ndjson")
        failed = sum(len(found) for found in failures.values())
        print(f"{name}: {len(operations)} operations, {len(cases)} test cases, {checks} checks, "
              f"{failed} failures, {server_errors} 5xx answers")
        for check, found in sorted(failures.items()):
            print(f"  {check}: {len(found)}")


if __name__ == "__main__":
    main()
