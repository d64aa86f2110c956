"""Accuracy and speed of the built-in diagnostician on the scenario suite and the demo cluster.

    python bench/accuracy.py [--only NAME ...] [--snapshots DIR] [--family NAME] [-v]
    python bench/accuracy.py --qa main heldout [--snapshots DIR] [-v]

Builds every scenario of devkit/scenarios (into a temporary directory unless --snapshots names a directory
already written by `python -m devkit.scenarios.build_scenarios --out DIR`), asks each its question through
the real pipeline (snapshot API server, Prometheus when the snapshot has metrics, flows), and prints:
top-1 and top-3 accuracy (culprit AND category right; healthy clusters: no finding), the contract check,
median and p95 seconds per question, and session start-up (Prometheus included) reported separately.
--family expired-events replays every scenario with the Events older than one hour before capturedAt
removed (what a real cluster still holds); --family no-events removes them all (tests/scenarios/families.py).

With --qa, the question-answer suite of tests/qa instead (main.yaml, and heldout.yaml scored only at the
end): per intent, subject and verdict (or subject_healthy) right, intent right, onset within 5 minutes of
the truth, and answers that put something other than the subject as the cause.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from devkit.scenarios.build_scenarios import build_one, load  # noqa: E402
from devkit.scenarios.families import FAMILIES, expire_events  # noqa: E402
from devkit.scenarios.judge import Verdict, ask_with_ledger, is_match, judge, open_snapshot  # noqa: E402

DEMO = ROOT / "app" / "demo" / "shop"
DEMO_TRUTH = ROOT / "app" / "demo" / "shop_truth.yaml"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def run_scenarios(
    snapshots: Path | None, only: list[str] | None, verbose: bool, family: str | None = None
) -> list[dict[str, Any]]:
    rows = []
    removed = 0
    catalog = load()
    with tempfile.TemporaryDirectory(prefix="kubewhy-scenarios-") as tmp:
        root = snapshots or Path(tmp)
        for name, item in catalog.items():
            if only and name not in only:
                continue
            if snapshots is None:
                directory, truth = build_one(item, root)
            else:
                directory, truth = root / name, item.truth(item.build()[1])
            if family:
                if snapshots is not None:  # never rewrite the given snapshots in place
                    directory = Path(shutil.copytree(directory, Path(tmp) / name))
                removed += expire_events(directory, FAMILIES[family])
            started = time.perf_counter()
            with open_snapshot(directory) as session:
                startup = time.perf_counter() - started
                answer = ask_with_ledger(session, item.question)
            verdict = judge(answer, truth)
            rows.append(_row(name, truth, verdict, answer.seconds, startup, bool(item.metrics)))
            rows[-1]["real_shape"] = item.build.__module__.endswith("cases_real_shapes")
            if verbose or not verdict.passed:
                _explain(name, item.question, truth, verdict, answer)
    if family:
        print(f"family {family}: {removed} Event(s) removed from {len(rows)} snapshot(s)")
    return rows


def run_demo(verbose: bool) -> list[dict[str, Any]]:
    truth = yaml.safe_load(DEMO_TRUTH.read_text(encoding="utf-8"))
    rows = []
    started = time.perf_counter()
    with open_snapshot(DEMO) as session:
        startup = time.perf_counter() - started
        for problem in truth["problems"]:
            answer = ask_with_ledger(session, problem["question"])
            verdict = judge(answer, problem)
            for bad in problem.get("must_not_blame", []):
                if any(is_match(f, bad, bad["category"]) for f in answer.diagnosis.findings):
                    verdict.distractor_blamed.append(f"{bad['category']} {bad['name']}")
            rows.append(_row(f"demo:{problem['id']}", problem, verdict, answer.seconds, startup, True))
            if verbose or not verdict.passed:
                _explain(problem["id"], problem["question"], problem, verdict, answer)
        for resolved in truth.get("resolved", []):
            answer = ask_with_ledger(session, resolved["question"])
            blamed = [
                f
                for f in answer.diagnosis.findings
                if is_match(f, resolved["resource"], resolved["category"])
            ]
            verdict = Verdict(top1=not blamed, top3=not blamed, got="blamed" if blamed else "not blamed")
            from devkit.scenarios.judge import contract_problems

            verdict.contract = contract_problems(answer)
            rows.append(_row(f"demo:{resolved['id']}", resolved, verdict, answer.seconds, startup, True))
            if verbose or not verdict.passed:
                _explain(resolved["id"], resolved["question"], resolved, verdict, answer)
    return rows


def _row(name: str, truth: dict[str, Any], verdict: Verdict, seconds: float, startup: float, prom: bool):
    return {
        "name": name,
        "expected": "healthy" if truth.get("healthy") else f"{truth.get('category')}",
        "top1": verdict.top1,
        "top3": verdict.top3,
        "contract_ok": not verdict.contract,
        "distractor_ok": not verdict.distractor_blamed,
        "seconds": seconds,
        "startup": startup,
        "prometheus": prom,
    }


def _explain(name: str, question: str, truth: dict[str, Any], verdict: Verdict, answer: Any) -> None:
    expected = "healthy" if truth.get("healthy") else f"{truth.get('category')} {truth.get('culprit')}"
    print(f"--- {name}: {question!r}", file=sys.stderr)
    print(f"    expected {expected}", file=sys.stderr)
    for finding in answer.diagnosis.findings[:4]:
        print(f"    got {finding.category.value} {finding.resource}: {finding.title}", file=sys.stderr)
    for problem in verdict.contract + verdict.distractor_blamed:
        print(f"    problem: {problem}", file=sys.stderr)


def report(rows: list[dict[str, Any]]) -> None:
    width = max(len(r["name"]) for r in rows)
    print(f"{'scenario':<{width}}  {'expected':<22} top1 top3 contract  seconds  start-up")
    for r in rows:
        print(
            f"{r['name']:<{width}}  {r['expected']:<22} {'ok' if r['top1'] else 'MISS':<4} "
            f"{'ok' if r['top3'] else 'MISS':<4} {'ok' if r['contract_ok'] else 'BAD':<8} "
            f"{r['seconds']:8.3f}  {r['startup']:7.2f}{' (prometheus)' if r['prometheus'] else ''}"
        )
    for label, subset in (("scenarios", [r for r in rows if not r["name"].startswith("demo:")]),
                          ("real shapes", [r for r in rows if r.get("real_shape")]),
                          ("demo", [r for r in rows if r["name"].startswith("demo:")]),
                          ("all", rows)):  # fmt: skip
        if not subset:
            continue
        n = len(subset)
        top1, top3 = sum(r["top1"] for r in subset), sum(r["top3"] for r in subset)
        contract_ok = sum(r["contract_ok"] for r in subset)
        seconds = [r["seconds"] for r in subset]
        median, p95 = statistics.median(seconds), percentile(seconds, 0.95)
        print(
            f"{label}: {n} questions, top-1 {top1}/{n} ({100 * top1 / n:.1f}%), "
            f"top-3 {top3}/{n} ({100 * top3 / n:.1f}%), contract ok {contract_ok}/{n}, "
            f"distractor not blamed {sum(r['distractor_ok'] for r in subset)}/{n}, "
            f"seconds per question median {median:.3f} p95 {p95:.3f} max {max(seconds):.3f}"
        )
    with_prom = [r["startup"] for r in rows if r["prometheus"] and not r["name"].startswith("demo:")]
    without = [r["startup"] for r in rows if not r["prometheus"]]
    if without:
        print(f"session start-up without Prometheus: median {statistics.median(without):.2f} s")
    if with_prom:
        print(
            "session start-up with Prometheus (backfill + start): "
            f"median {statistics.median(with_prom):.2f} s"
        )
    demo = [r["startup"] for r in rows if r["name"].startswith("demo:")]
    if demo:
        print(f"demo session start-up (Prometheus included): {demo[0]:.2f} s")


def run_qa(suites: list[str], snapshots: Path | None, verbose: bool) -> None:
    from tests.qa.suite import figures, run

    catalog = load()
    with tempfile.TemporaryDirectory(prefix="kubewhy-qa-") as tmp:
        root = snapshots or Path(tmp)
        built: dict[str, Path] = {}

        def scenario_dir(name: str) -> Path:
            if name not in built:
                built[name] = root / name if snapshots else build_one(catalog[name], root)[0]
            return built[name]

        for suite in suites:
            cases = load_suite(suite)
            started = time.perf_counter()
            log = (lambda line: print(f"    miss {line}", file=sys.stderr)) if verbose else None
            results = run(cases, scenario_dir, log=log)
            seconds = [r.seconds for r in results]
            took, median = time.perf_counter() - started, statistics.median(seconds)
            print(
                f"QA suite {suite}: {len(cases)} conversations, {len(results)} questions "
                f"({took:.0f} s, median {median:.2f} s/question)"
            )
            header = ("intent", "questions", "subject+verdict", "intent", "onset<=5min", "wrong cause")
            print("  {:<12} {:>9} {:>16} {:>8} {:>12} {:>11}".format(*header))
            for label, row in figures(results).items():
                n = row["questions"]
                onset = f"{row['onset_right']}/{row['onset_known']}" if row["onset_known"] else "-"
                print(
                    f"  {label:<12} {n:>9} {row['right']:>7} ({100 * row['right'] / n:5.1f}%) "
                    f"{row['intent_right']:>8} {onset:>12} {row['wrong_cause']:>11}"
                )
            for result in results:
                if result.problems and not verbose:
                    problems = "; ".join(result.problems)
                    print(
                        f"    miss {result.case.id}#{result.index + 1} {result.turn.question!r}: {problems}"
                    )


def load_suite(suite: str) -> list[Any]:
    """The cases of one QA suite file (``load`` here is the scenario catalogue's)."""
    from tests.qa.suite import load as load_cases

    return load_cases(suite)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="only these scenarios (and no demo questions)")
    parser.add_argument("--snapshots", type=Path, help="scenario snapshots already built here")
    parser.add_argument("--no-demo", action="store_true", help="skip the demo questions")
    parser.add_argument(
        "--family", choices=sorted(FAMILIES), help="replay the scenarios with expired Events (no demo)"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="explain every answer, not just misses")
    parser.add_argument(
        "--qa", nargs="+", choices=("main", "heldout"), help="run the question-answer suite(s)"
    )
    args = parser.parse_args(argv)
    if args.qa:
        run_qa(args.qa, args.snapshots, args.verbose)
        return 0
    rows = run_scenarios(args.snapshots, args.only, args.verbose, args.family)
    if not args.only and not args.no_demo and not args.family:
        rows += run_demo(args.verbose)
    report(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
