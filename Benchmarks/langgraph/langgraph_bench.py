"""LangGraph side of the PipelineKit comparison: the same three figures, measured the same way.

- per-node overhead: a chain of N no-op nodes, SqliteSaver on a fresh file, durability "sync" (and the default);
- resume: a chain of N nodes whose last node fails once; time to resume from the checkpoint;
- fan-out: one node sending K children (Send API) whose results are gathered by a reducer.

Run by Benchmarks/compare-langgraph.sh; prints one line per figure, formatted like pipeline-bench.
"""

import argparse
import operator
import os
import sqlite3
import statistics
import tempfile
import time
from typing import Annotated, TypedDict

from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.graph import END, START, StateGraph
from langgraph.types import Send


class ChainState(TypedDict):
    x: int


def chain_graph(length: int, fail_last: dict | None = None) -> StateGraph:
    graph = StateGraph(ChainState)
    previous = START
    for index in range(length):
        name = f"n{index}"
        graph.add_node(name, lambda state: {"x": state["x"] + 1})
        graph.add_edge(previous, name)
        previous = name
    if fail_last is not None:

        def gate(state):
            if not fail_last["open"]:
                raise RuntimeError("gate closed")
            return {"x": state["x"]}

        graph.add_node("gate", gate)
        graph.add_edge(previous, "gate")
        previous = "gate"
    graph.add_edge(previous, END)
    return graph


def saver(directory: str, name: str | None = None) -> SqliteSaver:
    path = os.path.join(directory, name or f"{time.monotonic_ns()}.sqlite")
    return SqliteSaver(sqlite3.connect(path, check_same_thread=False))


def per_node(directory: str, length: int, repetitions: int, durability: str | None) -> tuple[float, int]:
    times = []
    size = 0
    for rep in range(repetitions):
        name = f"chain-{time.monotonic_ns()}.sqlite"
        checkpointer = saver(directory, name)
        app = chain_graph(length).compile(checkpointer=checkpointer)
        config = {"configurable": {"thread_id": f"t{rep}"}, "recursion_limit": length + 10}
        start = time.perf_counter()
        if durability is None:
            app.invoke({"x": 0}, config)
        else:
            app.invoke({"x": 0}, config, durability=durability)
        times.append(time.perf_counter() - start)
        checkpointer.conn.close()
        size = os.path.getsize(os.path.join(directory, name))
    return statistics.median(times), size


def resume(directory: str, length: int, repetitions: int) -> float:
    times = []
    for rep in range(repetitions):
        gate = {"open": False}
        app = chain_graph(length, fail_last=gate).compile(checkpointer=saver(directory))
        config = {"configurable": {"thread_id": f"r{rep}"}, "recursion_limit": length + 10}
        try:
            app.invoke({"x": 0}, config, durability="sync")
        except RuntimeError:
            pass
        gate["open"] = True
        start = time.perf_counter()
        result = app.invoke(None, config, durability="sync")
        times.append(time.perf_counter() - start)
        assert result["x"] == length, result
    return statistics.median(times)


class FanState(TypedDict):
    items: list[int]
    results: Annotated[list[int], operator.add]


class ChildState(TypedDict):
    i: int


def fan_out(directory: str, children: int, repetitions: int) -> float:
    graph = StateGraph(FanState)
    graph.add_node("child", lambda state: {"results": [state["i"] + 1]})
    graph.add_conditional_edges(START, lambda state: [Send("child", {"i": i}) for i in state["items"]], ["child"])
    graph.add_edge("child", END)
    times = []
    for rep in range(repetitions):
        app = graph.compile(checkpointer=saver(directory))
        config = {"configurable": {"thread_id": f"f{rep}"}}
        start = time.perf_counter()
        result = app.invoke({"items": list(range(children)), "results": []}, config, durability="sync")
        times.append(time.perf_counter() - start)
        assert len(result["results"]) == children
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--stages", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--resume-stages", type=int, default=1000)
    parser.add_argument("--children", type=int, default=1000)
    parser.add_argument("--repetitions", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        for length in args.stages:
            for label, durability in [("sqlite sync", "sync"), ("sqlite default (async)", None)]:
                seconds, size = per_node(directory, length, args.repetitions, durability)
                print(
                    f"per-node   {label:<36} {length:5d} nodes: {seconds * 1000 / length:.4f} ms/node"
                    f"  ({seconds * 1000:.1f} ms total, store {size / length:.0f} bytes/node)"
                )
        seconds = resume(directory, args.resume_stages, args.repetitions)
        print(f"resume     {args.resume_stages} committed nodes: {seconds * 1000:.3f} ms")
        seconds = fan_out(directory, args.children, args.repetitions)
        print(
            f"fan-out    {args.children} children (Send): {seconds * 1000:.1f} ms, {args.children / seconds:.0f} children/s"
        )


if __name__ == "__main__":
    main()
